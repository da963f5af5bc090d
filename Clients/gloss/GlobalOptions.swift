import ArgumentParser
import Foundation

/// Options every command that talks to a server takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The saved login to use (env GLOSS_PROFILE; default: the last one logged in).")
    var profile: String?

    @Flag(help: "Print JSON (one object per line) instead of text, for scripts.")
    var json = false

    @Option(
        help: """
            Seconds to keep retrying a write while the server is away or busy, with back-off (env GLOSS_RETRY_FOR; default 20). \
            A write still unanswered then is kept and sent by the next command or gloss sync. \
            A read waits this long for its answer (at least 10 s), and a connection 10 s for the server's greeting.
            """
    )
    var retryFor: Int?

    /// The retry budget in seconds, from `--retry-for`, `GLOSS_RETRY_FOR` or the default.
    func retryBudget() throws -> Int {
        if let retryFor {
            guard (0...86_400).contains(retryFor) else { throw CLIError(.usage, "--retry-for takes 0 to 86400 seconds") }
            return retryFor
        }
        guard let text = ProcessInfo.processInfo.environment["GLOSS_RETRY_FOR"] else { return 20 }
        guard let value = Int(text), (0...86_400).contains(value) else { throw CLIError(.usage, "GLOSS_RETRY_FOR takes 0 to 86400 seconds") }
        return value
    }

    /// How long a read waits for its answer: the retry budget, at least 10 s.
    func answerTimeout() throws -> Duration {
        .seconds(max(try retryBudget(), 10))
    }

    func selectedProfile() throws -> (name: String, profile: Profile) {
        let file = try ProfileFile.load()
        guard let name = profile ?? ProcessInfo.processInfo.environment["GLOSS_PROFILE"] ?? file.current else {
            throw CLIError(.usage, "not logged in: run gloss login --server HOST:PORT --token TOKEN (glossd dev prints the line)")
        }
        guard let found = file.profiles[name] else {
            let known = file.profiles.keys.sorted().joined(separator: ", ")
            throw CLIError(.usage, "no saved login named '\(name)'\(known.isEmpty ? "" : " (saved: \(known))"); run gloss login --profile \(name) …")
        }
        return (name, found)
    }
}
