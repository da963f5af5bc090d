import Foundation
import GlossCore
import Logging
import NIOCore
import PostgresNIO

/// Writes operations for many concurrent callers in shared transactions.
///
/// Callers queue their writes; while one transaction is in flight the next
/// group gathers, and each group is stored with one call of
/// `gloss_apply_batch` (one round trip, one commit). A caller resumes only
/// after the commit that holds its operation, so an acknowledged operation is
/// durable. Local operations get their dot, timestamp and causal context here,
/// in commit order, so this replica's counters have no gaps.
actor GroupCommitter {
    private let client: PostgresClient
    private let logger: Logger
    let replica: ReplicaID
    private let maximumBatch: Int
    private let timeout: Duration
    private let wallClock: @Sendable () -> UInt64

    private var pending: [WriteRequest] = []
    private var committing = false
    private var cache: StateCache
    private var clock: HybridLogicalClock
    private var counter: UInt64 = 0
    private var vector = VersionVector()
    private var needsResync = true

    /// Transactions committed and operations written since start, for benchmarks and metrics.
    private(set) var commits = 0
    private(set) var operationsWritten = 0

    init(
        client: PostgresClient, replica: ReplicaID, logger: Logger, maximumBatch: Int, cacheLimit: Int, timeout: Duration,
        maximumDriftMilliseconds: UInt64, wallClock: @escaping @Sendable () -> UInt64
    ) {
        self.timeout = timeout
        self.client = client
        self.replica = replica
        self.logger = logger
        self.maximumBatch = maximumBatch
        self.wallClock = wallClock
        cache = StateCache(limit: cacheLimit)
        clock = HybridLogicalClock(maximumDriftMilliseconds: maximumDriftMilliseconds)
    }

    /// Queues a write and returns once it is durable (or has failed).
    func submit(_ work: WriteRequest.Work) async throws -> [AnnotationOperation] {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(WriteRequest(work: work, continuation: continuation))
            if !committing {
                committing = true
                Task { await self.drain() }
            }
        }
    }

    /// Forgets cached states and counters so the next group rereads them (after a failure or an external change).
    func invalidate() {
        needsResync = true
    }

    private func drain() async {
        while !pending.isEmpty {
            var batch: [WriteRequest] = []
            var operationCount = 0
            while !pending.isEmpty, operationCount < maximumBatch {
                let request = pending.removeFirst()
                operationCount += request.annotations.count
                batch.append(request)
            }
            await commit(batch)
        }
        committing = false
    }

    /// How often a group is retried when another process changed its annotations first.
    static let maximumAttempts = 12

    private func commit(_ batch: [WriteRequest]) async {
        var lastError = StoreError(.unavailable, "could not write")
        for attempt in 1...Self.maximumAttempts {
            do {
                if needsResync { try await resync() }
                try await loadMissing(Set(batch.flatMap(\.annotations)))
                try Task.checkCancellation()
                var group = PreparedGroup()
                for request in batch { prepare(request, into: &group) }
                if !group.operations.isEmpty {
                    let client = client
                    let logger = logger
                    let operations = group.operations
                    let states = group.states
                    try await withDeadline(timeout, doing: "committing") {
                        try await Self.store(operations, states: states, client: client, logger: logger)
                    }
                    for (id, entry) in group.states { cache.store(id, VersionedState(state: entry.state, version: entry.version + 1)) }
                    commits += 1
                    operationsWritten += group.operations.count
                }
                counter = group.counter
                if counter > 0 { vector.advance(replica, to: counter) }
                for (request, outcome) in zip(batch, group.outcomes) { request.continuation.resume(with: outcome) }
                return
            } catch let error as StoreError where error.code == .invalid {
                lastError = error
                break
            } catch {
                let state = StoreError.sqlState(of: error)
                if state == StoreError.staleStateSQLState || state == "40P01" || state == "40001" {
                    cache.evict(batch.flatMap(\.annotations))
                    lastError = StoreError(.unavailable, "annotations kept changing under concurrent writers; retry")
                    logger.debug("retrying a group after a concurrent change", metadata: ["attempt": "\(attempt)"])
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(5 * attempt))))
                    continue
                }
                needsResync = true
                lastError = StoreError.from(error, doing: "committing \(batch.count) writes")
                logger.warning("group commit failed", metadata: ["error": "\(lastError)"])
                break
            }
        }
        for request in batch { request.continuation.resume(throwing: lastError) }
    }

    /// The operations of one group, the states they produce and each caller's outcome.
    private struct PreparedGroup {
        var operations: [AnnotationOperation] = []
        var states: [AnnotationID: VersionedState] = [:]
        var outcomes: [Result<[AnnotationOperation], any Error>] = []
        var counter: UInt64 = 0
    }

    private func prepare(_ request: WriteRequest, into group: inout PreparedGroup) {
        if group.operations.isEmpty && group.outcomes.isEmpty { group.counter = counter }
        switch request.work {
        case .local(let payload, let annotation, let author):
            var entry = group.states[annotation] ?? cache[annotation] ?? VersionedState(state: AnnotationState(id: annotation), version: 0)
            var seen = entry.state.seenContext(for: payload)
            seen.formUnion(CausalContext(vector))
            let operation = AnnotationOperation(
                dot: Dot(replica: replica, counter: group.counter + 1), timestamp: clock.now(wallClockMilliseconds: wallClock()),
                author: author, annotation: annotation, context: seen, payload: payload
            )
            do {
                try operation.validate()
            } catch {
                group.outcomes.append(.failure(StoreError(error)))
                return
            }
            group.counter += 1
            vector.advance(replica, to: group.counter)
            entry.state.apply(operation)
            group.states[annotation] = entry
            group.operations.append(operation)
            group.outcomes.append(.success([operation]))
        case .remote(let operations):
            do {
                for operation in operations { try operation.validate() }
                var probe = clock
                for operation in operations { try probe.receive(operation.timestamp, wallClockMilliseconds: wallClock()) }
                clock = probe
            } catch {
                group.outcomes.append(.failure(StoreError(error)))
                return
            }
            for operation in operations {
                var entry = group.states[operation.annotation] ?? cache[operation.annotation]
                    ?? VersionedState(state: AnnotationState(id: operation.annotation), version: 0)
                entry.state.apply(operation)
                group.states[operation.annotation] = entry
            }
            group.operations.append(contentsOf: operations)
            group.outcomes.append(.success(operations))
        }
    }

    /// Rereads this replica's counter, the version vector and the clock floor; empties the cache.
    private func resync() async throws {
        let client = client
        let logger = logger
        let replica = replica
        let (fresh, stored, latest) = try await withDeadline(timeout, doing: "reading the version vector") {
            try await Self.readCounters(client: client, logger: logger, replica: replica)
        }
        cache.removeAll()
        counter = UInt64(stored)
        var vector = fresh
        vector.advance(replica, to: counter)
        self.vector = vector
        if HLCTimestamp(rawValue: UInt64(bitPattern: latest)) > clock.last {
            clock = HybridLogicalClock(last: HLCTimestamp(rawValue: UInt64(bitPattern: latest)), maximumDriftMilliseconds: clock.maximumDriftMilliseconds)
        }
        needsResync = false
    }

    private static func readCounters(client: PostgresClient, logger: Logger, replica: ReplicaID) async throws -> (VersionVector, Int64, Int64) {
        var fresh = VersionVector()
        for try await (origin, covered) in try await client.query("SELECT origin, counter FROM version_vector", logger: logger)
            .decode((String, Int64).self)
        {
            if let id = try? ReplicaID(origin) { fresh.advance(id, to: UInt64(covered)) }
        }
        var stored: Int64 = 0
        var latest: Int64 = 0
        for try await (maximum, timestamp) in try await client.query(
            "SELECT coalesce(max(counter), 0), coalesce(max(hlc), 0) FROM operations WHERE origin = \(replica.rawValue)", logger: logger
        ).decode((Int64, Int64).self) {
            stored = maximum
            latest = timestamp
        }
        return (fresh, stored, latest)
    }

    private func loadMissing(_ ids: Set<AnnotationID>) async throws {
        let missing = ids.filter { cache[$0] == nil }
        guard !missing.isEmpty else { return }
        let uuids = missing.map(\.uuid)
        let client = client
        let logger = logger
        let rows = try await withDeadline(timeout, doing: "reading annotations") {
            var rows: [(AnnotationID, VersionedState)] = []
            for try await (uuid, version, body) in try await client.query(
                "SELECT id, version, state FROM annotations WHERE id = ANY(\(uuids))", logger: logger
            ).decode((UUID, Int64, ByteBuffer).self) {
                rows.append((AnnotationID(uuid), VersionedState(state: try AnnotationState(decoding: Array(buffer: body)), version: version)))
            }
            return rows
        }
        var found = Set<AnnotationID>()
        for (id, state) in rows {
            cache.store(id, state)
            found.insert(id)
        }
        for id in missing where !found.contains(id) {
            cache.store(id, VersionedState(state: AnnotationState(id: id), version: 0))
        }
    }

    private static func store(
        _ operations: [AnnotationOperation], states byID: [AnnotationID: VersionedState], client: PostgresClient, logger: Logger
    ) async throws {
        let ids = byID.keys.sorted()
        let rows = ids.map { MaterializedRow(byID[$0]!.state) }
        let states = ids.map { byID[$0]! }
        let query: PostgresQuery = """
            SELECT gloss_apply_batch(
                \(operations.map(\.dot.replica.rawValue)), \(operations.map { Int64($0.dot.counter) }),
                \(operations.map { Int64(bitPattern: $0.timestamp.rawValue) }), \(operations.map(\.annotation.uuid)),
                \(operations.map(\.kind)), \(operations.map { ByteBuffer(bytes: $0.encoded()) }),
                \(ids.map(\.uuid)), \(states.map(\.version)), \(rows.map(\.document)), \(rows.map(\.created)),
                \(rows.map(\.creator)), \(rows.map(\.createdHLC)), \(rows.map(\.updatedHLC)), \(rows.map(\.lastAuthor)),
                \(rows.map(\.label)), \(rows.map(\.note)), \(rows.map(\.status)), \(rows.map(\.spanStart)),
                \(rows.map(\.spanEnd)), \(rows.map(\.quote)), \(rows.map(\.tags)), \(rows.map(\.deleted)),
                \(rows.map(\.deleteConflict)), \(rows.map(\.conflicted)), \(states.map { ByteBuffer(bytes: $0.state.encoded()) })
            )
            """
        _ = try await client.query(query, logger: logger).collect()
    }
}

extension AnnotationOperation {
    /// The operation's kind, as stored in the log's `kind` column.
    var kind: String {
        switch payload {
        case .create: "create"
        case .set(let value): "set-\(value.field.rawValue)"
        case .resolve(let value): "resolve-\(value.field.rawValue)"
        case .addTag: "add-tag"
        case .removeTag: "remove-tag"
        case .delete: "delete"
        case .restore: "restore"
        }
    }
}
