import ArgumentParser
import Foundation
import GlossClient

/// `gloss pending`: the writes whose outcome is not known yet.
struct Pending: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List writes not answered yet (the server was away); the next command or gloss sync sends them.",
        discussion: """
            A write (add, edit, tag, rm, review, doc add, …) is written down before it is
            sent and forgotten once the server answers it. If the server is away longer
            than --retry-for, the write stays here and is sent again, under the same
            idempotency key, by the next gloss command that connects or by gloss sync:
            it is applied exactly once however often it is sent. Running the same
            command again while it is pending sends the pending write, not a second one.

            Examples:
              gloss pending
              gloss pending --json
              gloss pending --drop cli-5f0c…      # give up on one write
            """
    )
    @Option(help: "Forget the pending write with this key (it may still have been applied).") var drop: String?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let (name, profile) = try options.selectedProfile()
            let journal = Session.journal(of: name)
            if let drop {
                guard journal.pending().contains(where: { $0.key == drop }) else { throw CLIError(.notFound, "no pending write with key \(drop)") }
                journal.remove(key: drop)
                if !options.json { Output.say("dropped \(drop)") }
                return
            }
            let writes = journal.pending()
            for write in writes {
                if options.json {
                    var object: [String: Any] = [
                        "key": write.key, "server": write.server, "summary": write.summary, "request": write.request,
                        "created": ISO8601DateFormatter().string(from: write.created), "attempts": write.attempts,
                    ]
                    if let error = write.lastError { object["lastError"] = error }
                    Output.json(object)
                } else {
                    let elsewhere = write.server == profile.server ? "" : " (for \(write.server))"
                    Output.say("\(write.key)  \(Self.age(of: write.created)) ago  \(write.attempts) attempt\(write.attempts == 1 ? "" : "s")\(elsewhere)  \(Output.safe(write.summary))")
                    if let error = write.lastError { Output.say("    last: \(Output.safe(error))") }
                }
            }
            if !options.json, writes.isEmpty { Output.say("nothing pending") }
        }
    }

    static func age(of date: Date) -> String {
        let seconds = max(0, Int(Date().timeIntervalSince(date)))
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7_200 { return "\(seconds / 60) min" }
        return "\(seconds / 3_600) h"
    }
}

/// `gloss sync`: sends the pending writes now.
struct Sync: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the writes still pending (gloss pending lists them); each is applied once.",
        discussion: "Exit status: 0 when nothing is left pending; 75 when some still are (the server is away or busy)."
    )
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let (name, profile) = try options.selectedProfile()
            let sent = try await Session.with(options) { session in session.sentPending.count }
            let left = Session.journal(of: name).pending().count
            let elsewhere = Session.journal(of: name).pending().filter { $0.server != profile.server }
            if !elsewhere.isEmpty {
                // Those writes were made while this profile pointed at another server; they are sent only there.
                let servers = Set(elsewhere.map(\.server)).sorted().joined(separator: ", ")
                throw CLIError(
                    .usage,
                    "\(elsewhere.count) pending write\(elsewhere.count == 1 ? " belongs" : "s belong") to \(servers), not \(profile.server) where profile '\(name)' now points: log in to that server again (gloss login --profile \(name) --server …) and run gloss sync, or drop them (gloss pending --drop KEY)",
                    code: "pending-elsewhere"
                )
            }
            if options.json {
                Output.json(["sent": sent, "pending": left])
            } else {
                Output.say(left == 0 ? "nothing pending (\(sent) sent)" : "\(sent) sent, \(left) still pending")
            }
            if left > 0 { throw CLIError(.temporary, "\(left) write\(left == 1 ? " is" : "s are") still pending; run gloss sync again later", code: "pending") }
        }
    }
}
