import GlossCore
import Logging
import NIOCore
import PostgresNIO

extension GroupCommitter {
    /// Groups with at least this many operations are stored with COPY (see ``storeCopying(_:states:keys:progress:by:client:logger:)``).
    static let copyThreshold = 500

    /// Stores a large group (a peer's catch-up) in one transaction on one
    /// connection: the operations by `COPY` into the log, then everything else by
    /// ``store(_:states:keys:progress:by:copied:run:)``. COPY skips the per-row work
    /// of a statement of arrays, but cannot skip rows stored already: an operation
    /// that another process of this database stored first fails the COPY with a
    /// unique violation, and the caller stores the group by statement instead.
    /// `rows`: the operations' COPY rows, if made already.
    static func storeCopying(
        _ operations: [AnnotationOperation], states: [AnnotationID: VersionedState], keys: [RecordedWrite], progress: [(PeerProgress, Int)],
        by replica: ReplicaID, rows: ByteBuffer? = nil, client: PostgresClient, logger: Logger
    ) async throws {
        let rows = rows ?? OperationCopyRows.rows(operations)
        try await client.withConnection { connection in
            let run: @Sendable (PostgresQuery) async throws -> [PostgresRow] = { try await connection.wholeResult($0, logger: logger) }
            _ = try await run("BEGIN")
            do {
                try await connection.copyFrom(table: "operations", columns: OperationCopyRows.columns, logger: logger) { writer in
                    try await writer.write(rows)
                }
                try await store(operations, states: states, keys: keys, progress: progress, by: replica, copied: true, run: run)
                _ = try await run("COMMIT")
            } catch {
                _ = try? await run("ROLLBACK")
                throw error
            }
        }
    }
}
