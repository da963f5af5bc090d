import ArgumentParser
import Foundation
import GlossExportFiles
import GlossClient
import GlossCore
import GlossProtocol

/// An authenticated connection for one command. Opening one first sends the
/// profile's pending writes (see ``Writer``).
struct Session {
    let connection: GlossConnection
    let profileName: String
    let profile: Profile
    let user: String
    let roles: String
    /// How long a read waits for its answer.
    let timeout: Duration
    /// Answers to the pending writes sent when the session opened, by request identity.
    private(set) var sentPending: [String: Line] = [:]

    /// Connects with the selected profile and authenticates; then sends the profile's
    /// pending writes, oldest first, except the one keyed `skipping` (which its own
    /// command sends).
    static func open(_ options: GlobalOptions, skipping: String? = nil) async throws -> Session {
        let (name, profile) = try options.selectedProfile()
        let (host, port) = try profile.endpoint()
        let connection = try await GlossConnection.connect(host: host, port: port, trust: profile.trust)
        let timeout = try options.answerTimeout()
        var session: Session
        do {
            let reply = try await connection.send(.auth(token: profile.token), timeout: timeout).reply
            session = Session(
                connection: connection, profileName: name, profile: profile, user: reply["user"] ?? "", roles: reply["roles"] ?? "", timeout: timeout
            )
        } catch {
            await connection.close()
            throw error
        }
        session.sentPending = await session.sendPending(skipping: skipping)
        return session
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
        try await connection.send(command, timeout: timeout)
    }

    /// The journal of this profile's pending writes.
    static func journal(of profile: String) -> WriteJournal {
        let safe = String(profile.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") ? Character($0) : "_" })
        return WriteJournal(folder: ProfileFile.location.deletingLastPathComponent().appendingPathComponent("pending-\(safe)"))
    }

    /// Sends this profile's pending writes for this server, oldest first, once each;
    /// reports each outcome on standard error and returns the answers by request
    /// identity. Stops at the first one whose outcome stays unknown.
    func sendPending(skipping: String? = nil) async -> [String: Line] {
        let journal = Self.journal(of: profileName)
        var answers: [String: Line] = [:]
        for var write in journal.pending() where write.server == profile.server && write.key != skipping {
            do {
                let request = try write.request(tag: "-")
                write.attempts += 1
                let reply = try await connection.send(request.command, key: write.key, revision: request.revision, timeout: timeout).reply
                do {
                    try journal.markAnswered(write, answer: LinePrinter.print(reply))
                } catch {
                    journal.remove(key: write.key)
                }
                answers[write.request] = reply
                if let id = reply["id"].flatMap({ try? AnnotationID($0) }) { recordWrite(reply, on: id) }
                Self.note("sent a pending write (\(write.summary)): ok\(reply["id"].map { " id=\($0)" } ?? "")")
            } catch let error as ClientError where WriteOutcome.of(code: error.code) != .refused {
                write.lastError = error.description
                try? journal.record(write)
                Self.note("\(journal.pending().count) write(s) still pending: \(error)")
                break
            } catch {
                journal.remove(key: write.key)
                Self.note("a pending write was refused and dropped (\(write.summary)): \(error)")
            }
        }
        return answers
    }

    /// A line on standard error, escaped for the terminal.
    static func note(_ text: String) {
        StandardError.write("gloss: \(Output.safe(text))\n")
    }

    /// Remembers annotations just shown to the person.
    func shown(_ records: [AnnotationRecord]) {
        var seen = SeenRevisions(profile: profileName)
        seen.shown(records)
        seen.save()
    }

    /// Remembers one's own write as seen.
    func recordWrite(_ reply: Line, on id: AnnotationID) {
        Self.recordWrite(reply, on: id, profile: profileName)
    }

    /// Remembers one's own write as seen by `profile`.
    static func recordWrite(_ reply: Line, on id: AnnotationID, profile: String) {
        guard let dots = try? Request.revision(reply["ops"] ?? "") else { return }
        var seen = SeenRevisions(profile: profile)
        seen.wrote(dots, on: id)
        seen.save()
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
