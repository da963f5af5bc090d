public import GlossCore
import Foundation
import NIOCore
import PostgresNIO

/// The result of rebuilding every annotation from the operation log and
/// comparing it with the materialized table.
public struct ConsistencyReport: Sendable, CustomStringConvertible {
    /// Annotations rebuilt and compared.
    public var annotationsChecked = 0
    /// Operations replayed.
    public var operationsReplayed = 0
    /// Annotations whose stored state differs from the replay, or that are missing on one side.
    public var mismatches: [AnnotationID] = []
    /// Origins whose version vector entry claims counters that are not all stored.
    public var vectorErrors: [String] = []

    /// Whether everything matched.
    public var isConsistent: Bool { mismatches.isEmpty && vectorErrors.isEmpty }

    public var description: String {
        var text = "\(annotationsChecked) annotations rebuilt from \(operationsReplayed) operations: "
        text += isConsistent ? "consistent" : "\(mismatches.count) mismatched, \(vectorErrors.count) version vector errors"
        for id in mismatches.prefix(20) { text += "\n  mismatch: annotation \(id)" }
        for error in vectorErrors { text += "\n  version vector: \(error)" }
        return text
    }
}

extension GlossStore {
    /// Rebuilds every annotation from the operation log with GlossCore and
    /// compares it with the materialized state. Streams one annotation at a time.
    public func checkConsistency() async throws(StoreError) -> ConsistencyReport {
        do {
            var report = ConsistencyReport()
            let joined: PostgresQuery = """
                SELECT a.id, a.state, coalesce(array_agg(o.body ORDER BY o.origin, o.counter) FILTER (WHERE o.body IS NOT NULL), '{}')
                FROM annotations a LEFT JOIN operations o ON o.annotation_id = a.id
                GROUP BY a.id ORDER BY a.id
                """
            try await client.forEachBatch(joined, batch: 500, logger: logger) { rows in
                for row in rows {
                    let (uuid, stored, bodies) = try row.decode((UUID, ByteBuffer, [ByteBuffer]).self)
                    var rebuilt = AnnotationState(id: AnnotationID(uuid))
                    for body in bodies { rebuilt.apply(try AnnotationOperation(decoding: Array(buffer: body))) }
                    report.annotationsChecked += 1
                    report.operationsReplayed += bodies.count
                    if Array(buffer: stored) != rebuilt.encoded() { report.mismatches.append(rebuilt.id) }
                }
            }
            let orphans: PostgresQuery = "SELECT annotation_id FROM operations EXCEPT SELECT id FROM annotations"
            try await client.forEachBatch(orphans, logger: logger) { rows in
                for row in rows { report.mismatches.append(AnnotationID(try row.decode(UUID.self))) }
            }
            report.vectorErrors = try await vectorErrors()
            return report
        } catch {
            throw StoreError.from(error, doing: "checking consistency")
        }
    }

    private func vectorErrors() async throws -> [String] {
        var errors: [String] = []
        let query: PostgresQuery = """
            SELECT v.origin, v.counter, (SELECT count(*) FROM operations o WHERE o.origin = v.origin AND o.counter <= v.counter)
            FROM version_vector v ORDER BY v.origin
            """
        for row in try await client.wholeResult(query, logger: logger) {
            let (origin, covered, present) = try row.decode((String, Int64, Int64).self)
            guard present != covered else { continue }
            errors.append("\(origin) claims 1…\(covered) but \(present) of those operations are stored")
        }
        return errors
    }
}
