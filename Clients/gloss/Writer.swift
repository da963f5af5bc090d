import Foundation
import GlossClient
import GlossCore
import GlossProtocol

/// Sends writes so that none is lost or applied twice, even when the server is away.
///
/// A write is written down in the profile's ``WriteJournal`` before anything is
/// sent, then sent under its idempotency key, and retried with back-off (the
/// same key each time) while its outcome is unknown, for `--retry-for`
/// seconds, connecting again as needed. It leaves the journal once the server
/// answers it, with success or a refusal. Still unanswered, it stays: the next
/// command that connects sends it first (``Session/open(_:skipping:)``), or
/// `gloss sync` does. A command run again while its write is pending sends that
/// write, not a second one.
struct Writer {
    let options: GlobalOptions
    let profileName: String
    let profile: Profile

    /// A writer for the selected profile.
    init(_ options: GlobalOptions) throws {
        self.options = options
        (profileName, profile) = try options.selectedProfile()
    }

    /// Sends `command` (with `revision` for an edit) and returns the server's answer.
    /// `session`, when given, is used first (it is not closed); otherwise one is opened.
    ///
    /// - Throws: the server's refusal as ``ClientError``; ``CLIError`` when the write
    ///   stays pending (server away past `--retry-for`, or the login no longer works).
    func send(_ command: Command, revision: [Dot]? = nil, over session: Session? = nil) async throws -> Response {
        let request = Request(tag: "-", command: command, revision: revision)
        let identity = PendingWrite.identity(of: request)
        let journal = Session.journal(of: profileName)
        if let sent = session?.sentPending[identity] { return Response(lines: [], reply: Self.markedReplayed(sent)) }
        var pending: PendingWrite?
        switch journal.earlier(sameAs: identity, server: profile.server) {
        case .pending(let write)?:
            pending = write
        case .answered(let write)?:
            if let answer = write.answer.flatMap({ try? LineParser.parse($0) }) { return Response(lines: [], reply: Self.markedReplayed(answer)) }
        case nil:
            break
        }
        var entry = pending
            ?? PendingWrite(
                key: "cli-" + UUID().uuidString.lowercased(), request: request, server: profile.server,
                summary: Self.summary(of: Array(CommandLine.arguments.dropFirst()))
            )
        do {
            try journal.record(entry)
        } catch {
            throw CLIError(.usage, "cannot record the write in \(journal.folder.path) (\(error.localizedDescription)); nothing was sent")
        }
        var opened: GlossConnection?
        do {
            let response = try await deliver(&entry, journal: journal, command: command, revision: revision, over: session, opened: &opened)
            await opened?.close()
            return response
        } catch {
            await opened?.close()
            throw error
        }
    }

    /// Sends a recorded write until the server answers it or the retry budget is spent.
    /// A connection it opens is left in `opened` for the caller to close.
    private func deliver(
        _ entry: inout PendingWrite, journal: WriteJournal, command: Command, revision: [Dot]?, over session: Session?,
        opened: inout GlossConnection?
    ) async throws -> Response {
        var schedule = RetrySchedule(budget: .seconds(try options.retryBudget()))
        var random = SystemRandomNumberGenerator()
        let started = ContinuousClock.now
        var connection = session?.connection
        while true {
            let failure: ClientError
            entry.attempts += 1
            do {
                if connection == nil {
                    let fresh = try await Session.open(options, skipping: entry.key)
                    (connection, opened) = (fresh.connection, fresh.connection)
                }
                // Past the budget's end, one last try gets 2 s: a silent server must not hold the command forever.
                let remaining = Duration.seconds(try options.retryBudget()) - (ContinuousClock.now - started)
                let response = try await connection!.send(command, key: entry.key, revision: revision, timeout: max(remaining, .seconds(2)))
                journal.remove(key: entry.key)
                return response
            } catch let error as ClientError {
                failure = error
            }
            switch WriteOutcome.of(code: failure.code) {
            case .refused:
                journal.remove(key: entry.key)
                throw failure
            case .keep:
                entry.lastError = failure.description
                try? journal.record(entry)
                throw CLIError(
                    CLIError(failure).kind, "\(failure.message) — the write is kept; fix the login, then run gloss sync (gloss pending lists it)",
                    code: failure.code
                )
            case .retry:
                entry.lastError = failure.description
                try? journal.record(entry)
                guard let delay = schedule.nextDelay(elapsed: ContinuousClock.now - started, using: &random) else {
                    throw CLIError(
                        .temporary, "\(failure.message) — the write is kept, and the next gloss command or gloss sync sends it again (gloss pending lists it)",
                        code: failure.code
                    )
                }
                try await Task.sleep(for: delay)
                if !["unavailable", "too-many-requests"].contains(failure.code) {
                    await opened?.close()
                    (connection, opened) = (nil, nil)
                }
            }
        }
    }

    /// Edits an existing annotation, declaring the revision this profile last showed
    /// the person (read now, over `session` or a new connection, if it never showed
    /// it), and remembers the write as seen.
    func edit(_ id: AnnotationID, _ command: Command, over session: Session? = nil) async throws -> Response {
        if let revision = SeenRevisions(profile: profileName).revision(of: id) {
            return try await sendEdit(command, on: id, revision: revision, over: session)
        }
        if let session { return try await sendEdit(command, on: id, revision: try await Self.revision(of: id, over: session), over: session) }
        let opened = try await Session.open(options)
        do {
            let response = try await sendEdit(command, on: id, revision: try await Self.revision(of: id, over: opened), over: opened)
            await opened.connection.close()
            return response
        } catch {
            await opened.connection.close()
            throw error
        }
    }

    private func sendEdit(_ command: Command, on id: AnnotationID, revision: [Dot]?, over session: Session?) async throws -> Response {
        let response = try await send(command, revision: revision, over: session)
        Session.recordWrite(response.reply, on: id, profile: profileName)
        return response
    }

    /// The annotation's revision as the server shows it now.
    private static func revision(of id: AnnotationID, over session: Session) async throws -> [Dot]? {
        guard let line = try await session.send(.get(id)).lines(AnnotationRecord.word).first else { return nil }
        return try AnnotationRecord(line: line).revision
    }

    /// The command as a person would type it again: arguments quoted for a POSIX shell
    /// where needed, without the options that only shape this run (`--retry-for`, `--json`, `--profile`).
    static func summary(of arguments: [String]) -> String {
        var kept: [String] = []
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            if ["--retry-for", "--profile"].contains(argument) {
                index += 2
                continue
            }
            if argument == "--json" || argument.hasPrefix("--retry-for=") || argument.hasPrefix("--profile=") {
                index += 1
                continue
            }
            kept.append(argument)
            index += 1
        }
        return kept.map { argument in
            let plain = !argument.isEmpty && argument.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_./:=,+@%".unicodeScalars.contains($0) }
            return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }

    /// An earlier answer given again, marked as such.
    private static func markedReplayed(_ reply: Line) -> Line {
        var reply = reply
        if reply["replayed"] == nil { reply.arguments.append(.named(key: "replayed", value: "yes")) }
        return reply
    }
}
