import ArgumentParser
import Foundation
import GlossClient

/// A saved login: where the server is, the token, and how its certificate is trusted.
struct Profile: Codable, Equatable {
    var server: String
    var token: String
    var caFile: String?
    var fingerprint: String?
    var user: String?

    var trust: ServerTrust {
        if let caFile { return .certificateAuthority(path: caFile) }
        return .fingerprint(fingerprint ?? "")
    }

    /// Host and port from `server` (HOST:PORT, with the default port 7433).
    func endpoint() throws -> (host: String, port: Int) {
        try Profile.parseServer(server)
    }

    static func parseServer(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":") else { return (text, 7433) }
        guard let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port) else {
            throw ValidationError("--server takes HOST:PORT, such as 127.0.0.1:7433; got \"\(Output.safe(text))\"")
        }
        return (String(text[..<colon]), port)
    }
}

/// The client's configuration file: profiles by name and the one in use.
struct ProfileFile: Codable {
    var current: String?
    var profiles: [String: Profile] = [:]

    /// `$GLOSS_CONFIG`, or `~/.config/gloss/config.json`.
    static var location: URL {
        if let path = ProcessInfo.processInfo.environment["GLOSS_CONFIG"] { return URL(fileURLWithPath: path) }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/gloss/config.json")
    }

    static func load() throws -> ProfileFile {
        guard let data = try? Data(contentsOf: location) else { return ProfileFile() }
        do {
            return try JSONDecoder().decode(ProfileFile.self, from: data)
        } catch {
            throw CLIError(.usage, "\(location.path) is not a gloss configuration (\(error)); remove it and log in again")
        }
    }

    /// Saves the file readable by its owner only (it holds tokens).
    func save() throws {
        let url = Self.location
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: url, options: .atomic)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
