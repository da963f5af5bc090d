import ArgumentParser
import Foundation
import GlossExportFiles
import GlossCore
import GlossClient
import GlossProtocol

/// `gloss watch`: live events until Ctrl-C.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print live changes to a document or project as they happen, until Ctrl-C.",
        discussion: """
            When the server goes away (a restart, a shutdown, the network, or no answer to
            a heartbeat within 10 s; one is sent every 20 s), watch reconnects
            with back-off and says so on standard error; changes made meanwhile are not
            replayed (gloss ls lists them). A revoked token or lost role ends it (exit 77).

            Example: gloss watch --doc japan-us --json | jq .
            """
    )
    @Option(help: "Follow this document.") var doc: String?
    @Option(help: "Follow this project (default: your only project); with --doc, the document's project.") var project: String?
    @Option(help: "Stop after this many events (for scripts).") var count: Int?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            var seen = 0
            var failures = 0
            while true {
                let ended: ClientError?
                do {
                    ended = try await watchOnce(seen: &seen)
                } catch let error as ClientError where WriteOutcome.of(code: error.code) == .retry {
                    ended = error
                }
                guard let ended else { return }
                guard WriteOutcome.of(code: ended.code) == .retry else { throw CLIError(ended) }
                // The server went away (restart, shutdown, network): follow it again once it is back.
                failures += 1
                let wait = min(30, 1 << min(failures, 5))
                StandardError.write("gloss: \(Output.safe(ended.description)); reconnecting in \(wait) s (changes made meanwhile are not shown: gloss ls lists them)\n")
                try await Task.sleep(for: .seconds(wait))
            }
        }
    }

    /// How often watch checks that the server still answers, and how long it waits for the answer.
    static let heartbeatInterval: Duration = .seconds(20)
    static let heartbeatTimeout: Duration = .seconds(10)

    /// Subscribes and prints events until the connection ends (returning its error) or `--count` events were shown (returning nil).
    private func watchOnce(seen: inout Int) async throws -> ClientError? {
        let session = try await Session.open(options)
        defer { Task { await session.connection.close() } }
        let scope: SubscriptionScope
        if let doc {
            scope = .document(try documentReference(doc, project: project))
        } else {
            scope = .project(try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } } ?? session.defaultProject())
        }
        let reply = try await session.send(.subscribe(scope)).reply
        if !options.json { StandardError.write("watching (subscription \(reply["sub"] ?? "?")); Ctrl-C to stop\n") }
        // A server that stops answering (paused, or a network that drops packets silently) is noticed:
        // a PING every 20 s must be answered within 10 s, or the connection is closed and watch reconnects.
        let connection = session.connection
        let heartbeat = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.heartbeatInterval)
                if Task.isCancelled { return }
                do {
                    _ = try await connection.send(.ping, timeout: Self.heartbeatTimeout)
                } catch {
                    return
                }
            }
        }
        defer { heartbeat.cancel() }
        for await event in session.connection.events {
            session.shown([event.annotation])
            if options.json {
                var object = Output.object(event.annotation)
                object["change"] = event.change
                object["by"] = event.author
                object["seq"] = event.sequence
                Output.json(object)
            } else {
                Output.say("#\(event.sequence) \(event.change) by \(Output.safe(event.author)): \(Output.summary(event.annotation))")
            }
            seen += 1
            if let count, seen >= count { return nil }
        }
        return await session.connection.waitForClose() ?? ClientError(code: ClientError.connectionClosed, message: "the server closed the connection")
    }
}
