import ArgumentParser
import Foundation
import GlossClient
import GlossProtocol

/// `gloss login`: checks a token against a server and saves it as a profile.
struct Login: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Log in to a server and save the login.",
        discussion: """
            Trust: with --ca-file the server's certificate must chain to that CA. Without
            it the certificate's SHA-256 fingerprint is pinned on first use (like ssh)
            and checked on every later connection; --fingerprint gives it up front.
            The login is saved in $GLOSS_CONFIG (default ~/.config/gloss/config.json,
            readable only by you) under --profile, which becomes the current one.
            """
    )

    @Option(help: "The server as HOST:PORT (HOST alone means port 7433).") var server: String
    @Option(help: "Your token (as printed by glossd user add or glossd dev).") var token: String
    @Option(help: "PEM file of the CA that signed the server's certificate.") var caFile: String?
    @Option(help: "Expected SHA-256 fingerprint of the server's certificate: sha256: and 64 hex digits.") var fingerprint: String?
    @Option(help: "Name to save the login under.") var profile = "default"
    @Flag(help: "Print JSON.") var json = false

    /// `sha256:` and 64 lower-case hex digits, from what a person pastes (colons and upper case, as openssl prints, are fine).
    static func normalized(fingerprint: String) throws -> String {
        var hex = fingerprint.lowercased()
        if hex.hasPrefix("sha256:") { hex.removeFirst("sha256:".count) }
        hex = hex.replacingOccurrences(of: ":", with: "")
        guard hex.count == 64, hex.allSatisfy(\.isHexDigit) else {
            throw CLIError(
                .usage, "--fingerprint takes sha256: and 64 hex digits (openssl x509 -noout -fingerprint -sha256 prints them); got \"\(Output.safe(fingerprint))\""
            )
        }
        return "sha256:" + hex
    }

    func run() async throws {
        try await reporting(json: json) {
            let (host, port) = try Profile.parseServer(server)
            let caPath = caFile.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
            if let caPath, !FileManager.default.isReadableFile(atPath: caPath) { throw CLIError(.usage, "cannot read the CA file \(caPath)") }

            let expected = try fingerprint.map(Self.normalized(fingerprint:))
            let trust: ServerTrust = caPath.map { .certificateAuthority(path: $0) } ?? expected.map { .fingerprint($0) } ?? .firstUse
            let connection = try await GlossConnection.connect(host: host, port: port, trust: trust)
            let reply: Line
            do {
                reply = try await connection.send(.auth(token: token), timeout: .seconds(30)).reply
            } catch {
                await connection.close()
                throw error
            }
            await connection.close()
            var file = try ProfileFile.load()
            let pinned = caPath == nil ? connection.fingerprint : nil
            file.profiles[profile] = Profile(server: "\(host):\(port)", token: token, caFile: caPath, fingerprint: pinned, user: reply["user"])
            file.current = profile
            try file.save()
            if json {
                Output.json(["profile": profile, "server": "\(host):\(port)", "user": reply["user"] ?? "", "roles": reply["roles"] ?? "", "fingerprint": pinned ?? ""])
            } else {
                Output.say("logged in to \(host):\(port) as \(Output.safe(reply["user"] ?? "?")) (\(reply["roles"] ?? "no roles")); saved as profile '\(profile)'")
                if let pinned { Output.say("server certificate \(pinned) pinned; a different certificate will be refused") }
            }
        }
    }
}

/// `gloss whoami`.
struct WhoAmI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "Show who you are logged in as, where, and your roles.")
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let (name, profile) = try options.selectedProfile()
            try await Session.with(options) { session in
                if options.json {
                    Output.json(["profile": name, "server": profile.server, "user": session.user, "roles": session.roles])
                } else {
                    Output.say("\(Output.safe(session.user)) on \(profile.server) (profile \(name)); roles: \(session.roles.isEmpty ? "none" : session.roles)")
                }
            }
        }
    }
}
