import ArgumentParser
import Foundation
import GlossCore
import GlossClient
import GlossProtocol

/// `gloss watch`: live events until Ctrl-C.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print live changes to a document or project as they happen, until Ctrl-C.",
        discussion: "Example: gloss watch --doc japan-us --json | jq ."
    )
    @Option(help: "Follow this document.") var doc: String?
    @Option(help: "Follow this project (default: your only project); with --doc, the document's project.") var project: String?
    @Option(help: "Stop after this many events (for scripts).") var count: Int?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            try await Session.with(options) { session in
                let scope: SubscriptionScope
                if let doc {
                    scope = .document(try documentReference(doc, project: project))
                } else {
                    scope = .project(try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } } ?? session.defaultProject())
                }
                let reply = try await session.send(.subscribe(scope)).reply
                if !options.json { FileHandle.standardError.write(Data("watching (subscription \(reply["sub"] ?? "?")); Ctrl-C to stop\n".utf8)) }
                var seen = 0
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
                    if let count, seen >= count { return }
                }
                if let error = await session.connection.waitForClose() { throw CLIError(error) }
            }
        }
    }
}
