import Logging
import PostgresNIO

/// Reading query results so that a dropped connection fails the query instead of the process.
///
/// PostgresNIO's back-pressured row stream (the `AsyncSequence` that `query` returns)
/// traps with a precondition failure in `RowStreamStateMachine.channelReadComplete`
/// when the connection closes while more than its buffer target of rows (256) wait for
/// the consumer: on a close, NIO delivers the socket's remaining bytes and a read
/// completion without the read that state expects (the fault async-http-client fixed
/// in its own state machine, swift-server/async-http-client#450). A glossd process
/// must outlive PostgreSQL failing over, so the store never reads rows that way: it
/// collects each result whole on the event loop, which always asks for more and so
/// never enters that state, and bounds every result (ids, LIMIT, or a server-side
/// cursor fetched in batches).
///
/// A query sent on a connection that has already closed would never be answered:
/// PostgresNIO writes it to the channel without a promise, and once the channel has closed
/// and its handlers are gone that write fails where nobody sees it (glossd export waited
/// forever when PostgreSQL dropped its session between two FETCHes). So each query is sent
/// from the connection's event loop, and only while the channel is still active: then
/// PostgresNIO's handler receives it and answers it, if need be with the close's error.
extension PostgresConnection {
    /// Runs `query` and returns all its rows, read without back-pressure.
    ///
    /// - Throws: PostgresNIO's `PSQLError` when the query fails or the connection drops while
    ///   it runs; ``PostgresConnectionClosed`` when the connection had closed before it was sent.
    func wholeResult(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await submit(query, logger: logger).get().rows
    }

    /// Sends `query` now, from the event loop while the connection is open, and returns its result's future.
    private func submit(_ query: PostgresQuery, logger: Logger) -> EventLoopFuture<PostgresQueryResult> {
        eventLoop.flatSubmit { [self] () -> EventLoopFuture<PostgresQueryResult> in
            guard !isClosed else { return eventLoop.makeFailedFuture(PostgresConnectionClosed()) }
            return self.query(query, logger: logger)
        }
    }

    /// Runs `query` through a server-side cursor and hands its rows to `body` in
    /// batches of at most `batch` rows, so memory stays flat however many rows there are
    /// (two batches at most: the next is fetched while `body` works on one).
    ///
    /// Needs an open transaction on this connection (a cursor lives in one); the caller
    /// begins and ends it, so the batches all read that transaction's snapshot.
    ///
    /// - Throws: PostgresNIO's `PSQLError` when a statement fails or the connection drops; whatever `body` throws.
    func forEachBatch(
        isolation: isolated (any Actor)? = #isolation,
        _ query: PostgresQuery, batch: Int = 1_000, logger: Logger, _ body: ([PostgresRow]) async throws -> Void
    ) async throws {
        let cursor = "gloss_rows"
        _ = try await wholeResult(PostgresQuery(unsafeSQL: "DECLARE \(cursor) NO SCROLL CURSOR FOR " + query.sql, binds: query.binds), logger: logger)
        let fetch = PostgresQuery(unsafeSQL: "FETCH \(batch) FROM \(cursor)")
        var next = submit(fetch, logger: logger)
        while true {
            let rows = try await next.get().rows
            let more = rows.count == batch
            // The next batch is read while `body` works on this one: PostgreSQL and glossd work at once.
            if more { next = submit(fetch, logger: logger) }
            do {
                if !rows.isEmpty { try await body(rows) }
            } catch {
                if more { _ = try? await next.get() }
                throw error
            }
            if !more { break }
        }
        _ = try await wholeResult(PostgresQuery(unsafeSQL: "CLOSE \(cursor)"), logger: logger)
    }
}

/// The connection a query was to be sent on had already closed.
struct PostgresConnectionClosed: Error, CustomStringConvertible {
    var description: String { "the connection to PostgreSQL had closed" }
}

extension PostgresClient {
    /// Runs `query` on a pooled connection and returns all its rows, read without back-pressure
    /// (see ``PostgresNIO/PostgresConnection/wholeResult(_:logger:)``).
    ///
    /// - Throws: PostgresNIO's `PSQLError` (or a pool error) when the query fails or PostgreSQL cannot be reached.
    func wholeResult(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        try await withConnection { connection in try await connection.wholeResult(query, logger: logger) }
    }

    /// Runs `query` in a read-only `REPEATABLE READ` transaction of its own (one snapshot
    /// across the batches) and hands its rows to `body` in batches
    /// (see ``PostgresNIO/PostgresConnection/forEachBatch(_:batch:logger:_:)``).
    func forEachBatch(
        isolation: isolated (any Actor)? = #isolation,
        _ query: PostgresQuery, batch: Int = 1_000, logger: Logger, _ body: ([PostgresRow]) async throws -> Void
    ) async throws {
        try await withConnection { connection in
            _ = try await connection.wholeResult("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
            do {
                try await connection.forEachBatch(query, batch: batch, logger: logger, body)
                _ = try await connection.wholeResult("COMMIT", logger: logger)
            } catch {
                _ = try? await connection.wholeResult("ROLLBACK", logger: logger)
                throw error
            }
        }
    }
}
