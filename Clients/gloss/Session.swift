import ArgumentParser
import Foundation
import GlossClient
import GlossCore
import GlossProtocol

/// Options every command that talks to a server takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: "The saved login to use (env GLOSS_PROFILE; default: the last one logged in).")
    var profile: String?

    @Flag(help: "Print JSON (one object per line) instead of text, for scripts.")
    var json = false

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

/// An authenticated connection for one command, with retries for writes.
struct Session {
    let connection: GlossConnection
    let profileName: String
    let profile: Profile
    let user: String
    let roles: String

    /// Connects with the selected profile and authenticates.
    static func open(_ options: GlobalOptions) async throws -> Session {
        let (name, profile) = try options.selectedProfile()
        let (host, port) = try profile.endpoint()
        let connection = try await GlossConnection.connect(host: host, port: port, trust: profile.trust)
        do {
            let reply = try await connection.send(.auth(token: profile.token)).reply
            return Session(connection: connection, profileName: name, profile: profile, user: reply["user"] ?? "", roles: reply["roles"] ?? "")
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body` on a session and closes it.
    static func with<Result>(_ options: GlobalOptions, _ body: (Session) async throws -> Result) async throws -> Result {
        let session = try await open(options)
        do {
            let result = try await body(session)
            await session.connection.close()
            return result
        } catch {
            await session.connection.close()
            throw error
        }
    }

    /// Sends a read.
    func send(_ command: Command) async throws -> Response {
        try await connection.send(command)
    }

    /// Sends a write under a fresh idempotency key; if the connection drops or the
    /// server is briefly unavailable, reconnects and retries with the same key,
    /// so the write happens once.
    func write(_ command: Command, options: GlobalOptions, revision: [Dot]? = nil) async throws -> Response {
        let key = "cli-" + UUID().uuidString.lowercased()
        var attempt = 1
        var connection = self.connection
        while true {
            let failure: ClientError
            do {
                return try await connection.send(command, key: key, revision: revision)
            } catch {
                failure = error
            }
            guard attempt < 4, Self.isRetryable(failure) else { throw failure }
            attempt += 1
            try await Task.sleep(for: .milliseconds(200 * attempt))
            if !["unavailable", "too-many-requests"].contains(failure.code) {
                await connection.close()
                connection = try await Session.open(options).connection
            }
        }
    }

    /// Remembers annotations just shown to the person.
    func shown(_ records: [AnnotationRecord]) {
        var seen = SeenRevisions(profile: profileName)
        seen.shown(records)
        seen.save()
    }

    /// Edits an existing annotation, declaring the revision last shown to the
    /// person (read now if this profile never showed it), and remembers the write.
    func edit(_ id: AnnotationID, _ command: Command, options: GlobalOptions) async throws -> Response {
        var revision = SeenRevisions(profile: profileName).revision(of: id)
        if revision == nil, let line = try await send(.get(id)).lines(AnnotationRecord.word).first {
            revision = try AnnotationRecord(line: line).revision
        }
        let response = try await write(command, options: options, revision: revision)
        recordWrite(response.reply, on: id)
        return response
    }

    /// Remembers one's own write as seen.
    func recordWrite(_ reply: Line, on id: AnnotationID) {
        guard let dots = try? Request.revision(reply["ops"] ?? "") else { return }
        var seen = SeenRevisions(profile: profileName)
        seen.wrote(dots, on: id)
        seen.save()
    }

    private static func isRetryable(_ error: ClientError) -> Bool {
        ["unavailable", "too-many-requests", "shutting-down", ClientError.connectionClosed].contains(error.code)
    }

    /// The project to use when none is named: the user's only project.
    func defaultProject() throws -> ProjectID {
        let projects = roles.split(separator: ",").compactMap { $0.split(separator: "=").first.map(String.init) }
        guard projects.count == 1, let project = try? ProjectID(projects[0]) else {
            throw CLIError(.usage, projects.isEmpty ? "you have no role in any project" : "say which project with --project (yours: \(projects.joined(separator: ", ")))")
        }
        return project
    }
}
