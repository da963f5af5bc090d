public import GlossCore
import NIOCore
import PostgresNIO

extension GlossStore {
    /// The digest of each document's merged annotation states (``StateDigest``),
    /// keyed `project/document`; annotations whose create has not arrived yet are
    /// under `-`. Two sites that hold the same annotations have the same digests,
    /// whatever order they merged in: what `glossd check --against` and the
    /// replication tests compare.
    public func documentDigests() async throws(StoreError) -> [String: StateDigest] {
        do {
            var digests: [String: StateDigest] = [:]
            var current: String?
            var states: [AnnotationState] = []
            let query: PostgresQuery = "SELECT coalesce(project_id || '/' || document_id, '-'), state FROM annotations ORDER BY 1, id"
            try await client.forEachBatch(query, logger: logger) { rows in
                for row in rows {
                    let (key, body) = try row.decode((String, ByteBuffer).self)
                    if key != current {
                        if let current { digests[current] = StateDigest(of: states) }
                        current = key
                        states.removeAll(keepingCapacity: true)
                    }
                    states.append(try Self.decodeState(body))
                }
            }
            if let current { digests[current] = StateDigest(of: states) }
            return digests
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.from(error, doing: "computing document digests")
        }
    }
}
