import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Synchronization
import Testing

/// Writes whose answer is lost are kept by the CLI and sent again under their key: nothing is lost or doubled.
@Suite("gloss keeps unanswered writes", .timeLimit(.minutes(5)))
struct JournalTests {
    static func login(_ cli: CLITests.CLI, _ server: ServerProcess, as user: String = "ana") async throws {
        _ = try await cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
    }

    @Test("A write made while glossd is away is kept and listed; running it again keeps one; gloss sync sends it once")
    func serverAway() async throws {
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            try await Self.login(cli, server)
            #expect(await server.stop() == 0)
            let command = ["add", "article", "--quote", "Kishida’s", "--note", "while away", "--retry-for", "1"]
            let first = try await cli.run(command)
            #expect(first.status == 75 && first.error.contains("the write is kept"), "\(first.error)")
            let again = try await cli.run(command)
            #expect(again.status == 75)
            let pending = try await cli.json(["pending"])
            #expect(pending.count == 1, "running the command again reuses the pending write: \(pending)")
            #expect((pending.first?["summary"] as? String)?.contains("while away") == true)
            #expect((pending.first?["attempts"] as? Int ?? 0) >= 2)
            #expect(try await cli.ok(["pending"]).contains("add article --quote 'Kishida’s' --note 'while away'"))

            try await server.relaunch()
            #expect(try await cli.ok(["sync"]).contains("nothing pending (1 sent)"))
            #expect(try await cli.json(["pending"]).isEmpty)
            #expect(try await cli.json(["ls"]).filter { $0["note"] as? String == "while away" }.count == 1)
            let rerun = try await cli.json(command)
            #expect(rerun.first?["replayed"] as? Bool == true, "running the sent command once more gets its answer, not a second write")
            #expect(try await cli.json(["ls"]).filter { $0["note"] as? String == "while away" }.count == 1)
        }
    }

    @Test("A server that accepts connections and never answers: a write gives up after --retry-for and is kept, a read fails, nothing hangs")
    func silentServer() async throws {
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            try await Self.login(cli, server)
            kill(server.pid, SIGSTOP)
            defer { kill(server.pid, SIGCONT) }
            let started = ContinuousClock.now
            let write = try await cli.run(["add", "article", "--quote", "Kishida’s", "--note", "silent", "--retry-for", "3"])
            #expect(write.status == 75 && write.error.contains("the write is kept"), "\(write.error)")
            let read = try await cli.run(["whoami", "--retry-for", "1"])
            #expect(read.status == 69 && read.error.contains("timed-out"), "\(read.error)")
            #expect(ContinuousClock.now - started < .seconds(60), "neither command hangs")
            kill(server.pid, SIGCONT)
            #expect(try await cli.ok(["sync"]).contains("1 sent"))
            #expect(try await cli.json(["ls"]).filter { $0["note"] as? String == "silent" }.count == 1)
        }
    }

    @Test("gloss watch notices a server that stops answering (its heartbeat times out) and says it reconnects")
    func watchHeartbeat() async throws {
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            try await Self.login(cli, server)
            let watch = Process()
            watch.executableURL = URL(fileURLWithPath: Binaries.path("gloss"))
            watch.arguments = ["watch", "--doc", "article"]
            watch.environment = ProcessInfo.processInfo.environment.merging(["GLOSS_CONFIG": cli.config]) { $1 }
            let errors = Pipe()
            watch.standardError = errors
            watch.standardOutput = FileHandle.nullDevice
            try watch.run()
            let said = LogBuffer(collecting: errors)
            defer { watch.terminate() }
            var deadline = ContinuousClock.now + .seconds(20)
            while !said.text.withLock({ $0.contains("watching") }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
            kill(server.pid, SIGSTOP)
            defer { kill(server.pid, SIGCONT) }
            deadline = ContinuousClock.now + .seconds(60)
            while !said.text.withLock({ $0.contains("reconnecting") }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(200)) }
            #expect(said.text.withLock { $0.contains("timed-out") && $0.contains("reconnecting") }, "\(said.text.withLock { $0 })")
        }
    }

    @Test("Writes kept for a server the profile no longer points at are named with where they belong, not retried forever")
    func pendingForAnotherServer() async throws {
        try await ServerProcess.with { first in
            let cli = CLITests.cli()
            try await Self.login(cli, first)
            _ = await first.stop()
            #expect(try await cli.run(["add", "article", "--quote", "Kishida’s", "--retry-for", "0"]).status == 75)
            try await ServerProcess.with { second in
                try await Self.login(cli, second)
                let sync = try await cli.run(["sync"])
                #expect(sync.status == 64 && sync.error.contains("belongs to 127.0.0.1:\(first.port)") && sync.error.contains("--drop"), "\(sync.error)")
            }
        }
    }

    @Test("A command run again after its answer was lost sends the pending write under its key: applied once, with the first answer")
    func answerLost() async throws {
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            try await Self.login(cli, server)
            // The write reached glossd and was committed, but its answer never came back: the journal still holds it.
            let request = Request(
                tag: "-", command: .add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .quote("Kishida’s", occurrence: nil), note: "once"))
            )
            let ana = try await server.connect(as: "ana")
            let committed = try await ana.send(request.command, key: "cli-lost-answer").reply
            await ana.close()
            let journal = WriteJournal(folder: URL(fileURLWithPath: cli.config).deletingLastPathComponent().appendingPathComponent("pending-default"))
            try journal.record(PendingWrite(key: "cli-lost-answer", request: request, server: "127.0.0.1:\(server.port)", summary: "add article --note once"))

            let rerun = try await cli.run(["add", "article", "--quote", "Kishida’s", "--note", "once", "--json"])
            #expect(rerun.status == 0, "\(rerun.error)")
            let answer = try JSONSerialization.jsonObject(with: Data(rerun.output.utf8)) as? [String: Any]
            #expect(answer?["id"] as? String == committed["id"] && answer?["replayed"] as? Bool == true, "\(rerun.output)")
            #expect(answer?["start"] as? Int == 54, "the replayed answer has the first answer's fields")
            #expect(try await cli.json(["ls"]).filter { $0["note"] as? String == "once" }.count == 1)
            #expect(journal.pending().isEmpty)
        }
    }

    @Test("glossd killed and restarted under load: analysts re-running their failed gloss add, then gloss sync, leave every note exactly once")
    func restartsUnderLoad() async throws {
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            try await Self.login(cli, server)
            let notes = (0..<32).map { "note-\($0)" }
            let failures = FailureCount()
            let killer = Task {
                for _ in 0..<3 {
                    try await Task.sleep(for: .milliseconds(Int.random(in: 400...900)))
                    await server.kill()
                    try await Task.sleep(for: .milliseconds(300))
                    try await server.relaunch()
                }
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<4 {
                    group.addTask {
                        for note in notes.enumerated().filter({ $0.offset % 4 == worker }).map(\.element) {
                            var attempts = 0
                            while true {
                                attempts += 1
                                let result = try await cli.run(["add", "article", "--span", "0:7", "--note", note, "--retry-for", "0"])
                                if result.status == 0 { break }
                                failures.count.withLock { $0 += 1 }
                                guard attempts < 40 else { throw ServerTestError("\(note) never went through: \(result.error)") }
                                try await Task.sleep(for: .milliseconds(200))
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await killer.value
            _ = try await cli.ok(["sync"])
            let listed = try await cli.json(["ls"]).compactMap { $0["note"] as? String }
            for note in notes {
                #expect(listed.filter { $0 == note }.count == 1, "\(note) appears \(listed.filter { $0 == note }.count) times")
            }
            #expect(listed.count == notes.count, "\(failures.count.withLock { $0 }) runs failed and were run again")
            let check = try await Binaries.run("glossd", ["check", "--database-url", server.database.url, "--replica-id", "auditor"])
            #expect(check.status == 0, "\(check.output)")
        }
    }
}

/// Failed command runs, counted across worker tasks.
final class FailureCount: Sendable {
    let count = Mutex(0)
}
