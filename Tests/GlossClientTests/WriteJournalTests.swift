import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import Testing

@Suite("Write journal")
struct WriteJournalTests {
    private func journal() -> WriteJournal {
        WriteJournal(folder: URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-journal-test-\(UUID().uuidString)"))
    }

    private func add(_ note: String) throws -> Request {
        Request(tag: "t1", command: .add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .quote("Kishida’s", occurrence: nil), note: note)))
    }

    @Test("Recorded writes are listed oldest first, updated in place, and gone once removed")
    func lifecycle() throws {
        let journal = journal()
        #expect(journal.pending().isEmpty, "a journal that was never written is empty")
        var first = PendingWrite(key: "cli-1", request: try add("one"), server: "h:1", summary: "add one", created: Date(timeIntervalSince1970: 10))
        let second = PendingWrite(key: "cli-2", request: try add("two"), server: "h:1", summary: "add two", created: Date(timeIntervalSince1970: 20))
        try journal.record(second)
        try journal.record(first)
        #expect(journal.pending().map(\.key) == ["cli-1", "cli-2"])
        first.attempts = 3
        first.lastError = "unavailable: restarting"
        try journal.record(first)
        #expect(journal.pending().first?.attempts == 3 && journal.pending().count == 2)
        journal.remove(key: "cli-1")
        #expect(journal.pending().map(\.key) == ["cli-2"])
        let files = try FileManager.default.contentsOfDirectory(atPath: journal.folder.path)
        #expect(files == ["cli-2.json"], "no temporary file is left behind")
        let mode = try FileManager.default.attributesOfItem(atPath: journal.folder.appendingPathComponent("cli-2.json").path)[.posixPermissions] as? Int
        #expect(mode == 0o600, "pending writes are readable by their owner only")
    }

    @Test("A pending write re-sends the very same request under its key, whatever tag it goes with")
    func sameRequest() throws {
        let journal = journal()
        let request = try add("n\u{FEFF}\u{1B}é")
        let write = PendingWrite(key: "cli-9", request: request, server: "h:1", summary: "add")
        try journal.record(write)
        let read = try #require(journal.pending().first)
        let again = try read.request(tag: "z7")
        #expect(again.command == request.command && again.key == "cli-9" && again.tag == "z7")
        #expect(PendingWrite.identity(of: again) == PendingWrite.identity(of: request))
        #expect(journal.pending(sameAs: PendingWrite.identity(of: request), server: "h:1")?.key == "cli-9", "a command run again finds its pending write")
        #expect(journal.pending(sameAs: PendingWrite.identity(of: request), server: "other:2") == nil, "but not one meant for another server")
        #expect(journal.pending(sameAs: PendingWrite.identity(of: try add("other")), server: "h:1") == nil)
    }

    @Test("A run of a write another command is answering right now finds it: pending while both copies exist, answered after")
    func earlierWhileAnswered() throws {
        let journal = journal()
        let request = try add("race")
        let identity = PendingWrite.identity(of: request)
        let write = PendingWrite(key: "cli-7", request: request, server: "h:1", summary: "add")
        try journal.record(write)
        // The moment inside markAnswered: the answer is stored, the pending file not yet removed.
        var answered = write
        answered.answer = "- OK id=x"
        answered.answered = Date()
        let copy = WriteJournal(folder: journal.folder.appendingPathComponent("answered"))
        try copy.record(answered)
        guard case .pending(let found)? = journal.earlier(sameAs: identity, server: "h:1") else {
            Issue.record("the pending write must be found first, so it is sent again under its key")
            return
        }
        #expect(found.key == "cli-7")
        journal.remove(key: "cli-7")
        guard case .answered(let done)? = journal.earlier(sameAs: identity, server: "h:1") else {
            Issue.record("once the pending write is gone, its answer is found")
            return
        }
        #expect(done.key == "cli-7" && done.answer == "- OK id=x")
        #expect(journal.earlier(sameAs: identity, server: "other:2") == nil)
    }

    @Test("A damaged file is skipped, not fatal")
    func damaged() throws {
        let journal = journal()
        try journal.record(PendingWrite(key: "cli-1", request: try add("one"), server: "h:1", summary: "add"))
        try Data("{ not json".utf8).write(to: journal.folder.appendingPathComponent("cli-x.json"))
        #expect(journal.pending().map(\.key) == ["cli-1"])
    }
}
