import Foundation
public import GlossCore
public import NIOCore
import PostgresNIO

/// Stored operations as lines of text, ready to send: what a peer link sends
/// during catch-up, read as stored, so that glossd neither
/// decodes nor re-encodes them (see ``GlossStore/encodedOperations(after:limit:maximumBytes:linePrefix:)``).
public struct EncodedOperations: Sendable {
    /// One line per operation: the prefix, the operation's canonical encoding in
    /// base64 (RFC 4648, padded, no line breaks), a line feed.
    public var lines: ByteBuffer
    /// How many operations the lines hold.
    public var count: Int
    /// For each origin in the batch, its highest counter in it (the batch holds a
    /// contiguous run of each origin's stored counters after the given vector).
    public var lastDots: [Dot]

    /// An empty batch.
    public init() {
        lines = ByteBuffer()
        count = 0
        lastDots = []
    }
}

extension GlossStore {
    /// Stored operations not covered by `vector`, in (origin, counter) order, as
    /// lines: at most `limit` operations and `maximumBytes` bytes of lines (at
    /// least one operation when there is any).
    ///
    /// The same operations as ``operations(after:from:limit:)``, read in one row
    /// per origin and written out as stored (never decoded), which keeps a
    /// catch-up's reading cheap.
    /// - Parameter linePrefix: written before each operation's base64 (ASCII, without a backslash).
    /// - Throws: ``StoreError/Code/unavailable`` when PostgreSQL cannot be reached in time.
    public func encodedOperations(
        after vector: VersionVector, limit: Int, maximumBytes: Int, linePrefix: String
    ) async throws(StoreError) -> EncodedOperations {
        let found = try await rows(
            Self.lackingOperations(
                after: vector, limit: limit,
                then: "SELECT origin, array_agg(counter ORDER BY counter), array_agg(body ORDER BY counter) FROM picked GROUP BY origin ORDER BY origin"
            ),
            as: (String, [Int64], [ByteBuffer]).self, doing: "reading operations to send"
        )
        var batch = EncodedOperations()
        let prefix = Array(linePrefix.utf8)
        var bytes = 0
        var full = false
        for (origin, counters, bodies) in found where !full {
            guard let replica = try? ReplicaID(origin) else {
                throw StoreError(.internalError, "a stored operation names an invalid origin")
            }
            var last: UInt64?
            for (counter, body) in zip(counters, bodies) {
                let encoded = body.withUnsafeReadableBytes { Data($0).base64EncodedData() }
                let size = prefix.count + encoded.count + 1
                if batch.count > 0, bytes + size > maximumBytes {
                    full = true
                    break
                }
                batch.lines.writeBytes(prefix)
                batch.lines.writeBytes(encoded)
                batch.lines.writeInteger(UInt8(ascii: "\n"))
                bytes += size
                batch.count += 1
                last = UInt64(counter)
            }
            if let last { batch.lastDots.append(Dot(replica: replica, counter: last)) }
        }
        return batch
    }

    /// A query whose common table `picked` holds the stored operations not covered
    /// by `vector` (and after the dot `cursor`), in (origin, counter) order, at most
    /// `limit`, with their origin, counter and body; `tail` (a constant) selects from it.
    ///
    /// The origins are found by skipping through the primary key (one probe each),
    /// then each origin's operations by one index range scan, so the cost follows
    /// what is read, not the size of the log.
    static func lackingOperations(after vector: VersionVector, from cursor: Dot? = nil, limit: Int, then tail: String) -> PostgresQuery {
        let origins = vector.entries.map(\.replica.rawValue)
        let counters = vector.entries.map { Int64($0.counter) }
        return """
            WITH RECURSIVE stored AS (
                (SELECT origin FROM operations ORDER BY origin LIMIT 1)
                UNION ALL
                SELECT (SELECT n.origin FROM operations n WHERE n.origin > stored.origin ORDER BY n.origin LIMIT 1)
                FROM stored WHERE stored.origin IS NOT NULL
            ), picked AS (
                SELECT o.origin, o.counter, o.body
                FROM (SELECT origin FROM stored WHERE origin IS NOT NULL) vv
                CROSS JOIN LATERAL (
                    SELECT x.origin, x.counter, x.body FROM operations x
                    WHERE x.origin = vv.origin
                      AND x.counter > coalesce((SELECT v.c FROM unnest(\(origins)::text[], \(counters)::bigint[]) AS v(origin, c) WHERE v.origin = vv.origin), 0)
                      AND (x.origin, x.counter) > (\(cursor?.replica.rawValue ?? ""), \(Int64(cursor?.counter ?? 0)))
                    ORDER BY x.counter
                    LIMIT \(Int64(limit))
                ) o
                ORDER BY o.origin, o.counter
                LIMIT \(Int64(limit))
            )
            \(unescaped: tail)
            """
    }
}
