import GlossCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

extension GlossStore {
    /// Follows the commits of the other glossd processes of this database, as
    /// they announce them (PostgreSQL `LISTEN`, in commit order), and tells
    /// `handler` about each with the operations stored and the annotations'
    /// current states, as ``observeCommits(_:)`` does for this process's own.
    /// Annotations another process changed are also dropped from this process's
    /// write cache. Reconnects after failures; returns when cancelled.
    public func followOtherProcesses(_ handler: @escaping @Sendable (CommittedGroup) -> Void) async {
        while !Task.isCancelled {
            do {
                let connection = try await PostgresConnection.connect(configuration: dedicated, id: 1, logger: logger)
                defer { Task { try? await connection.close() } }
                try await connection.listen(on: CommitAnnouncement.channel) { notifications in
                    for try await notification in notifications {
                        guard let announcement = CommitAnnouncement(payload: notification.payload), announcement.sender != self.replica else { continue }
                        let group = try await self.read(announcement)
                        await self.committer.noteCommitElsewhere(
                            changing: Array(group.states.keys), storing: announcement.runs.map { ($0.origin, $0.first, $0.last) }
                        )
                        handler(group)
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning("lost the feed of other processes' commits; reconnecting", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// The operations an announcement names and the current states of their annotations.
    private func read(_ announcement: CommitAnnouncement) async throws -> CommittedGroup {
        let runs = announcement.runs
        let bodies = try await rows(
            """
            SELECT o.body FROM operations o
            JOIN unnest(\(runs.map(\.origin.rawValue))::text[], \(runs.map { Int64($0.first) })::bigint[], \(runs.map { Int64($0.last) })::bigint[])
                AS r(origin, first, last) ON o.origin = r.origin AND o.counter BETWEEN r.first AND r.last
            ORDER BY o.origin, o.counter
            """,
            as: ByteBuffer.self, doing: "reading another process's commit"
        )
        let operations = try bodies.map { try AnnotationOperation(decoding: Array(buffer: $0)) }
        let ids = Array(Set(operations.map(\.annotation)))
        var states: [AnnotationID: AnnotationState] = [:]
        for (uuid, body) in try await rows("SELECT id, state FROM annotations WHERE id = ANY(\(ids.map(\.uuid)))", as: (UUID, ByteBuffer).self, doing: "reading states") {
            states[AnnotationID(uuid)] = try Self.decodeState(body)
        }
        return CommittedGroup(operations: operations, states: states)
    }
}

extension GlossStore {
    /// Runs `body` while this process holds the database-wide lock `name` (a
    /// PostgreSQL session advisory lock on a connection of its own), so that of
    /// several glossd processes sharing the database only one runs it at a time.
    /// Returns nil at once when another process holds the lock. If this process
    /// dies, PostgreSQL releases the lock and another process can take over.
    ///
    /// - Throws: ``StoreError/Code/unavailable`` when the database cannot be reached.
    public func whileHolding<Result: Sendable>(lock name: String, _ body: () async -> Result) async throws(StoreError) -> Result? {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: dedicated, id: 2, logger: logger)
        } catch {
            throw StoreError.from(error, doing: "connecting for a lock")
        }
        defer { Task { try? await connection.close() } }
        let acquired: Bool
        do {
            var found = false
            for row in try await connection.wholeResult("SELECT pg_try_advisory_lock(hashtextextended(\(name), 0))", logger: logger) {
                found = try row.decode(Bool.self)
            }
            acquired = found
        } catch {
            throw StoreError.from(error, doing: "taking the lock \(name)")
        }
        guard acquired else { return nil }
        return await body()
    }
}
