import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossStore
import GlossTestSupport
import Synchronization
import Testing

/// glossd killed with SIGKILL at random moments under a write load: every write a
/// client saw acknowledged is stored exactly once, and the log and the state agree.
///
/// `GLOSS_DURABILITY_CYCLES` sets the number of kills (3 here by default; scripts/reliability runs 20).
@Suite("Durability under kills", .timeLimit(.minutes(20)))
struct DurabilityTests {
    static var cycles: Int { ProcessInfo.processInfo.environment["GLOSS_DURABILITY_CYCLES"].flatMap { Int($0) } ?? 3 }

    @Test("Writes with idempotency keys survive SIGKILL cycles: nothing acknowledged lost, nothing doubled, glossd check passes")
    func killCycles() async throws {
        try await ServerProcess.with { server in
            let ledger = Ledger()
            let writers = (0..<8).map { number in Task { try await Self.write(as: number, to: server, ledger: ledger) } }
            for _ in 0..<Self.cycles {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...1_500)))
                await server.kill()
                try await Task.sleep(for: .milliseconds(Int.random(in: 0...500)))
                try await server.relaunch()
            }
            try await Task.sleep(for: .seconds(1))
            ledger.stopping.withLock { $0 = true }
            for writer in writers { try await writer.value }

            let acknowledged = ledger.acknowledged.withLock { $0 }
            let stored = try await server.database.withStore(replica: "auditor", migrate: false) { store in
                var stored: [String: [AnnotationID]] = [:]
                try await store.forEachAnnotation(AnnotationFilter(project: try ProjectID("news"), includeDeleted: true)) { state, _ in
                    if let note = state.view?.note.value { stored[note, default: []].append(state.id) }
                }
                return stored
            }
            let lost = acknowledged.filter { stored[$0.key] == nil }
            let doubled = stored.filter { $0.value.count > 1 }
            let wrong = acknowledged.filter { stored[$0.key]?.first != $0.value && stored[$0.key] != nil }
            let retried = ledger.retries.withLock { $0 }
            print("durability: cycles=\(Self.cycles) acknowledged=\(acknowledged.count) stored=\(stored.count) lost=\(lost.count) doubled=\(doubled.count) retried=\(retried)")
            #expect(acknowledged.count > 0)
            #expect(lost.isEmpty, "acknowledged but not stored: \(lost.keys.prefix(5))")
            #expect(doubled.isEmpty, "stored twice: \(doubled.keys.prefix(5))")
            #expect(wrong.isEmpty, "acknowledged with another id than stored: \(wrong.keys.prefix(5))")
            #expect(stored.count == acknowledged.count, "every write was retried until acknowledged, so nothing else is stored")
            let check = try await Binaries.run("glossd", ["check", "--database-url", server.database.url, "--replica-id", "auditor"])
            #expect(check.status == 0, "\(check.output)")
        }
    }

    /// Writes annotations with unique notes (the note is also the key), retrying each
    /// under its key until acknowledged, reconnecting whenever glossd is gone.
    static func write(as number: Int, to server: ServerProcess, ledger: Ledger) async throws {
        var connection: GlossConnection?
        var index = 0
        while !ledger.stopping.withLock({ $0 }) {
            let note = "w\(number)-\(index)"
            let new = NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: index % 60, end: index % 60 + 4), note: note)
            while true {
                do {
                    if connection == nil { connection = try await server.connect(as: "ana") }
                    let reply = try await connection!.send(.add(new), key: note).reply
                    let id = try AnnotationID(try #require(reply["id"]))
                    ledger.acknowledged.withLock { $0[note] = id }
                    break
                } catch let error as ClientError where WriteOutcome.of(code: error.code) == .retry || error.code == "auth-failed" {
                    ledger.retries.withLock { $0 += 1 }
                    await connection?.close()
                    connection = nil
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            index += 1
        }
        await connection?.close()
    }
}

/// What the writers saw acknowledged, shared between their tasks.
final class Ledger: Sendable {
    let acknowledged = Mutex<[String: AnnotationID]>([:])
    let retries = Mutex(0)
    let stopping = Mutex(false)
}
