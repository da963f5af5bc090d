import Foundation
import GlossCore
import Logging
import NIOCore
import PostgresNIO

/// Reads single annotations for many concurrent callers with few queries:
/// callers queue their ids, and up to ``maximumQueries`` queries at a time each
/// fetch everything queued so far (`WHERE id = ANY(…)`) — group commit's
/// counterpart for reads.
actor StateReader {
    private let client: PostgresClient
    private let logger: Logger
    private let timeout: Duration
    private var waiting: [AnnotationID: [CheckedContinuation<AnnotationState?, any Error>]] = [:]
    private var running = 0

    /// Queries in flight at once.
    static let maximumQueries = 4
    /// Most ids in one query.
    static let maximumBatch = 1_000

    init(client: PostgresClient, logger: Logger, timeout: Duration) {
        self.client = client
        self.logger = logger
        self.timeout = timeout
    }

    /// The stored state of `id`, if any.
    func read(_ id: AnnotationID) async throws -> AnnotationState? {
        try await withCheckedThrowingContinuation { continuation in
            waiting[id, default: []].append(continuation)
            if running < Self.maximumQueries {
                running += 1
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            let ids = Array(waiting.keys.prefix(Self.maximumBatch))
            var batch: [AnnotationID: [CheckedContinuation<AnnotationState?, any Error>]] = [:]
            for id in ids { batch[id] = waiting.removeValue(forKey: id) }
            do {
                let found = try await fetch(ids)
                for (id, continuations) in batch {
                    for continuation in continuations { continuation.resume(returning: found[id]) }
                }
            } catch {
                let failure = StoreError.from(error, doing: "reading annotations")
                for continuation in batch.values.joined() { continuation.resume(throwing: failure) }
            }
        }
        running -= 1
    }

    private func fetch(_ ids: [AnnotationID]) async throws -> [AnnotationID: AnnotationState] {
        let (client, logger) = (client, logger)
        return try await withDeadline(timeout, doing: "reading annotations") {
            var found: [AnnotationID: AnnotationState] = [:]
            for row in try await client.wholeResult("SELECT id, state FROM annotations WHERE id = ANY(\(ids.map(\.uuid)))", logger: logger) {
                let (uuid, body) = try row.decode((UUID, ByteBuffer).self)
                found[AnnotationID(uuid)] = try GlossStore.decodeState(body)
            }
            return found
        }
    }
}
