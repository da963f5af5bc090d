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
/// in commit order, so this replica's counters have no gaps; the ``Sequencer``
/// decides them (and which operations from elsewhere are admitted), and a
/// group's draft of it is kept only once the group commits.
actor GroupCommitter {
    private let client: PostgresClient
    private let logger: Logger
    let replica: ReplicaID
    private let maximumBatch: Int
    private let maximumReceivedGroup: Int
    private let timeout: Duration
    private let wallClock: @Sendable () -> UInt64

    var pending: [WriteRequest] = []
    private var committing = false
    var cache: StateCache
    private var sequencer: Sequencer
    var needsResync = true
    /// Until then, local writes wait for a peer to confirm this site's history (see ``confirmIdentity()``).
    private var identityDeadline: ContinuousClock.Instant?

    /// Transactions committed and operations written since start, for benchmarks and metrics.
    private(set) var commits = 0
    private(set) var operationsWritten = 0
    /// When ``operationsWritten`` reaches it, the tables' statistics are refreshed (see ``refreshStatisticsIfGrown()``).
    private var nextStatisticsRefresh = GroupCommitter.firstStatisticsRefresh

    init(
        client: PostgresClient, replica: ReplicaID, logger: Logger, maximumBatch: Int, maximumReceivedGroup: Int, cacheLimit: Int, timeout: Duration,
        maximumDriftMilliseconds: UInt64, identityWait: Duration? = nil, wallClock: @escaping @Sendable () -> UInt64
    ) {
        identityDeadline = identityWait.map { ContinuousClock.now + $0 }
        self.timeout = timeout
        self.client = client
        self.replica = replica
        self.logger = logger
        self.maximumBatch = maximumBatch
        self.maximumReceivedGroup = maximumReceivedGroup
        self.wallClock = wallClock
        cache = StateCache(limit: cacheLimit)
        sequencer = Sequencer(replica: replica, clock: HybridLogicalClock(maximumDriftMilliseconds: maximumDriftMilliseconds))
        if let identityWait {
            // Said when the wait ends, not at the next write (which may come much later).
            Task { [weak self] in
                try? await Task.sleep(for: identityWait)
                await self?.endIdentityWait()
            }
        }
    }

    /// Ends the wait for a peer to confirm this site's history, warning that none did.
    private func endIdentityWait() {
        guard identityDeadline != nil else { return }
        identityDeadline = nil
        logger.warning("no peer confirmed this site's history in time; taking local writes anyway")
    }

    /// Queues a write and returns once it is durable (or has failed).
    func submit(_ work: WriteRequest.Work, key: RequestKey? = nil) async throws -> WriteResult {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(WriteRequest(work: work, key: key, continuation: continuation))
            if !committing {
                committing = true
                Task { await self.drain() }
            }
        }
    }

    /// Each called after every commit, in commit order, with what it stored.
    private var observers: [@Sendable (CommittedGroup) -> Void] = []

    /// Adds a function told about every later commit; live events, peer links and feeds each add their own.
    func observe(_ observer: @escaping @Sendable (CommittedGroup) -> Void) {
        observers.append(observer)
    }

    /// A peer has compared its history with this site's (or there is nothing to compare): local writes go ahead.
    func confirmIdentity() {
        identityDeadline = nil
    }

    /// The version vector of everything this process has committed or seen committed (no query).
    var appliedVector: VersionVector { sequencer.vector }

    /// Takes in a commit of another process of this database: drops the cached
    /// states of the annotations it changed and records its operations as applied
    /// (the vector this process acknowledges to peers covers them).
    func noteCommitElsewhere(changing ids: [AnnotationID], storing runs: [(origin: ReplicaID, first: UInt64, last: UInt64)]) {
        cache.evict(ids)
        for run in runs { sequencer.recordStored(run.origin, from: run.first, through: run.last) }
    }

    /// Holds local writes until this replica's own operations up to `counter` are stored here.
    func requireHistory(upTo counter: UInt64) {
        sequencer.requireHistory(upTo: counter)
    }

    /// Forgets cached states and counters so the next group rereads them (after a failure or an external change).
    func invalidate() {
        needsResync = true
    }

    private func drain() async {
        while !pending.isEmpty {
            // Writers answered by the last commit are resubmitting right now; give
            // them a moment to join this group instead of the next one.
            for _ in 0..<Self.gatheringYields { await Task.yield() }
            let batch = takeGroup()
            if Self.pipelines(batch) {
                await commitPipelined(batch)
            } else {
                await commit(batch)
            }
        }
        committing = false
    }

    /// The next group to commit. Local writes go first, up to ``maximumBatch``
    /// operations, so an analyst's write never waits behind a peer's catch-up;
    /// otherwise batches from peers, in arrival order, up to ``maximumReceivedGroup``
    /// operations. A group holds at least one request.
    func takeGroup() -> [WriteRequest] {
        let local = pending.contains { $0.isLocal }
        let limit = local ? maximumBatch : maximumReceivedGroup
        var taken: [WriteRequest] = []
        var rest: [WriteRequest] = []
        var operationCount = 0
        var full = false
        for request in pending {
            if request.isLocal == local, !full, taken.isEmpty || operationCount + request.operationCount <= limit {
                operationCount += request.operationCount
                taken.append(request)
            } else {
                // Requests of the group's kind keep their order: none joins past one that did not fit.
                full = full || request.isLocal == local
                rest.append(request)
            }
        }
        pending = rest
        return taken
    }

    /// Operations written before the first statistics refresh; each later one waits for twice as many.
    static let firstStatisticsRefresh = 50_000

    /// Refreshes PostgreSQL's statistics of the operation log, in the background,
    /// each time this process has written twice as many operations as at the last
    /// refresh. A catch-up grows the log faster than autovacuum looks (once a
    /// minute): with statistics of a log a thousand times smaller, the planner reads
    /// a whole origin's operations to send the next batch of them.
    private func refreshStatisticsIfGrown() {
        guard operationsWritten >= nextStatisticsRefresh else { return }
        nextStatisticsRefresh = operationsWritten * 2
        let (client, logger) = (client, logger)
        Task {
            do {
                _ = try await client.wholeResult("ANALYZE operations", logger: logger)
            } catch {
                logger.debug("could not refresh the statistics", metadata: ["error": "\(error)"])
            }
        }
    }

    /// How many times the committer yields before taking a group, letting just-answered writers join it.
    static let gatheringYields = 4

    /// How often a group is retried when another process changed its annotations first.
    static let maximumAttempts = 8
    /// After this many optimistic attempts a group takes the writers' lock exclusively, so it cannot lose again.
    static let optimisticAttempts = 3
    /// The advisory lock every `gloss_apply_batch` call holds shared (Schema/0002 writes it in decimal).
    static let writerLockKey: Int64 = 7_452_454_025_038_886_770

    func commit(_ batch: [WriteRequest]) async {
        var lastError = StoreError(.unavailable, "could not write")
        // Set once a COPY finds an operation stored already (another process of this
        // database stored it): the group is then stored by statement, which skips it.
        var copyRefused = false
        for attempt in 1...Self.maximumAttempts {
            do {
                if needsResync { try await resync() }
                let group: PreparedGroup
                let recorded = try await recordedKeys(batch.compactMap(\.key))
                if attempt <= Self.optimisticAttempts {
                    try await loadMissing(Set(batch.flatMap(\.existingAnnotations)))
                    try Task.checkCancellation()
                    group = prepareAll(batch, recorded: recorded)
                    try await storeOptimistically(group, copying: !copyRefused)
                } else {
                    group = try await commitExclusively(batch, recorded: recorded)
                }
                finish(batch, group)
                return
            } catch {
                let state = StoreError.sqlState(of: error)
                if state == StoreError.uniqueViolationSQLState, !copyRefused {
                    copyRefused = true
                    continue
                }
                if state == StoreError.reusedDotSQLState {
                    needsResync = true
                    lastError = StoreError(.unavailable, "this replica's counter was behind the database; retry")
                    continue
                }
                if state == StoreError.staleStateSQLState || state == "40P01" || state == "40001" {
                    cache.evict(batch.flatMap(\.annotations))
                    lastError = StoreError(.unavailable, "annotations kept changing under concurrent writers; retry")
                    logger.debug("retrying a group after a concurrent change", metadata: ["attempt": "\(attempt)"])
                    try? await Task.sleep(for: .milliseconds(Int.random(in: 1...(3 * attempt))))
                    continue
                }
                needsResync = true
                lastError = StoreError.from(error, doing: "committing \(batch.count == 1 ? "a write" : "\(batch.count) writes")")
                if lastError.code != .unavailable, batch.count > 1 {
                    // PostgreSQL refused something in the group, and it may be one request's value:
                    // commit the halves apart, so only the request at fault fails.
                    logger.notice("a group commit was refused; committing its halves apart", metadata: ["writes": "\(batch.count)", "error": "\(lastError)"])
                    await commit(Array(batch[..<(batch.count / 2)]))
                    await commit(Array(batch[(batch.count / 2)...]))
                    return
                }
                logger.warning("commit failed", metadata: ["error": "\(lastError)"])
                break
            }
        }
        for request in batch { request.continuation.resume(throwing: lastError) }
    }

    /// Stores a prepared group in one transaction, within the time-out: by COPY when
    /// it is large and `copying` allows it, by one statement otherwise.
    func storeOptimistically(_ group: PreparedGroup, copying: Bool) async throws {
        guard group.hasWrites else { return }
        let (client, logger, replica) = (client, logger, replica)
        let (operations, states, keys, progress, rows) = (group.operations, group.states, group.keys, group.progress, group.copyRows)
        let copy = copying && operations.count >= Self.copyThreshold
        try await withDeadline(timeout, doing: "committing") {
            if copy {
                try await Self.storeCopying(
                    operations, states: states, keys: keys, progress: progress, by: replica, rows: rows, client: client, logger: logger
                )
            } else {
                try await Self.store(operations, states: states, keys: keys, progress: progress, by: replica) {
                    try await client.wholeResult($0, logger: logger)
                }
            }
        }
    }

    /// After a group committed: keeps its states and sequencer, tells the observers, answers its writers.
    func finish(_ batch: [WriteRequest], _ group: PreparedGroup) {
        for (id, entry) in group.states { cache.store(id, VersionedState(state: entry.state, version: entry.version + 1)) }
        if !group.operations.isEmpty {
            commits += 1
            operationsWritten += group.operations.count
            refreshStatisticsIfGrown()
        }
        sequencer = group.sequencer
        if !observers.isEmpty, !group.operations.isEmpty {
            let committed = CommittedGroup(operations: group.operations, states: group.states.mapValues(\.state))
            for observer in observers { observer(committed) }
        }
        for (request, outcome) in zip(batch, group.outcomes) { request.continuation.resume(with: outcome) }
    }

    /// Commits a group while holding the writers' lock exclusively: no other
    /// process's batch runs meanwhile, so the states read here are current.
    private func commitExclusively(_ batch: [WriteRequest], recorded: [String: RecordedKey]) async throws -> PreparedGroup {
        let ids = Array(Set(batch.flatMap(\.annotations)))
        let (client, logger) = (client, logger)
        return try await withDeadline(timeout * 2, doing: "committing under the writers' lock") {
            try await client.withConnection { connection in
                let run: @Sendable (PostgresQuery) async throws -> [PostgresRow] = { try await connection.wholeResult($0, logger: logger) }
                _ = try await run("BEGIN")
                do {
                    _ = try await run("SELECT pg_advisory_xact_lock(\(Self.writerLockKey))")
                    let fresh = try await Self.readStates(ids, run: run)
                    let group = await self.prepareAll(batch, fresh: fresh, recorded: recorded)
                    if group.hasWrites {
                        try await Self.store(group.operations, states: group.states, keys: group.keys, progress: group.progress, by: self.replica, run: run)
                    }
                    _ = try await run("COMMIT")
                    return group
                } catch {
                    _ = try? await run("ROLLBACK")
                    throw error
                }
            }
        }
    }

    /// Prepares every request of a batch against the cached states (after storing `fresh` ones),
    /// or on top of `base`, a group being stored, as if it had committed.
    func prepareAll(
        _ batch: [WriteRequest], fresh: [(AnnotationID, VersionedState)] = [], recorded: [String: RecordedKey], on base: PreparedGroup? = nil
    ) -> PreparedGroup {
        for (id, state) in fresh { cache.store(id, state) }
        var group = PreparedGroup(sequencer: base?.sequencer ?? sequencer)
        if let base { group.overlay = base.states.mapValues { VersionedState(state: $0.state, version: $0.version + 1) } }
        var recorded = recorded
        for request in batch {
            if let key = request.key, let earlier = recorded[key.lookupName] {
                group.outcomes.append(
                    earlier.fingerprint == key.fingerprint
                        ? .success(.keyed(.replayed(earlier.annotation, reply: earlier.reply)))
                        : .failure(StoreError(.keyReused, "key \(Excerpt.quoted(key.key)) was already used for a different request; use a new key for a new request"))
                )
            } else {
                prepare(request, into: &group)
                // A retry of a request in this same group (same key) is answered as its replay.
                if let key = request.key, case .success(.keyed(.written))? = group.outcomes.last, let written = group.keys.last {
                    recorded[key.lookupName] = RecordedKey(fingerprint: key.fingerprint, annotation: written.annotation, reply: written.reply)
                }
            }
        }
        // Timestamps issued or merged for this group are never issued again, even if it fails to commit.
        sequencer.adoptClock(of: group.sequencer)
        return group
    }

    /// An idempotency key found stored: the request it was used for, the annotation that request wrote, and its answer.
    struct RecordedKey: Sendable {
        let fingerprint: [UInt8]
        let annotation: AnnotationID
        let reply: String
    }

    /// An idempotency key to record with its write.
    struct RecordedWrite: Sendable {
        let key: RequestKey
        let annotation: AnnotationID
        let reply: String
    }

    /// The stored keys among `keys`, by ``RequestKey/lookupName``: one query for the whole group.
    private func recordedKeys(_ keys: [RequestKey]) async throws -> [String: RecordedKey] {
        guard !keys.isEmpty else { return [:] }
        let (client, logger) = (client, logger)
        return try await withDeadline(timeout, doing: "reading idempotency keys") {
            var found: [String: RecordedKey] = [:]
            let rows = try await client.wholeResult(
                """
                SELECT k.user_name, k.key, k.request_sha, k.annotation_id, k.reply FROM request_keys k
                JOIN unnest(\(keys.map(\.user)), \(keys.map(\.key))) AS u(user_name, key) ON k.user_name = u.user_name AND k.key = u.key
                """,
                logger: logger
            )
            for row in rows {
                let (user, key, sha, annotation, reply) = try row.decode((String, String, ByteBuffer, UUID?, String).self)
                // A key recorded by DOC-PUT names no annotation; its fingerprint never matches a write's.
                let id = annotation.map(AnnotationID.init) ?? AnnotationID(high: 0, low: 0)
                found[user + "\u{0}" + key] = RecordedKey(fingerprint: Array(buffer: sha), annotation: id, reply: reply)
            }
            return found
        }
    }

    /// The operations of one group, the states they produce and each caller's outcome.
    struct PreparedGroup: Sendable {
        /// The sequencer after the group's operations, kept once the group commits.
        var sequencer: Sequencer
        var operations: [AnnotationOperation] = []
        var states: [AnnotationID: VersionedState] = [:]
        var outcomes: [Result<WriteResult, StoreError>] = []
        /// Idempotency keys to record, with the annotation each wrote and its answer.
        var keys: [RecordedWrite] = []
        /// Peer progress to record, with how many new operations each batch brought.
        var progress: [(PeerProgress, Int)] = []

        /// The states of the group stored before this one, as they are once it commits (see ``prepareAll(_:fresh:recorded:on:)``).
        var overlay: [AnnotationID: VersionedState] = [:]
        /// The operations as COPY rows, when made ahead of storing (``OperationCopyRows``).
        var copyRows: ByteBuffer?

        /// Whether the group has anything to store.
        var hasWrites: Bool { !operations.isEmpty || !progress.isEmpty }

        /// The state an operation of this group starts from: this group's, the group before it's, or the cached one.
        func startingState(_ id: AnnotationID, cache: StateCache) -> VersionedState {
            states[id] ?? overlay[id] ?? cache[id] ?? VersionedState(state: AnnotationState(id: id), version: 0)
        }
    }

    private func prepare(_ request: WriteRequest, into group: inout PreparedGroup) {
        switch request.work {
        case .local(let payloads, let annotation, let author, let declared):
            if let deadline = identityDeadline {
                guard ContinuousClock.now >= deadline else {
                    group.outcomes.append(
                        .failure(StoreError(.unavailable, "this site is comparing its history with its peers after starting; retry in a moment"))
                    )
                    return
                }
                endIdentityWait()
            }
            guard !group.sequencer.isRecovering else {
                group.outcomes.append(
                    .failure(
                        StoreError(
                            .unavailable,
                            "this site is recovering its own operations from a peer (its database is behind its own history: restored or copied); retry in a moment"
                        )
                    )
                )
                return
            }
            var entry = group.startingState(annotation, cache: cache)
            var draft = group.sequencer
            var made: [AnnotationOperation] = []
            let declaredContext = declared.map { entry.state.declaredContext(of: $0) }
            for payload in payloads {
                do {
                    let vector = draft.vector
                    let (dot, timestamp) = draft.stampLocal(wallClockMilliseconds: wallClock())
                    let operation = try entry.state.operation(
                        payload, dot: dot, timestamp: timestamp, author: author, vector: vector, declaredContext: declaredContext
                    )
                    entry.state.apply(operation)
                    made.append(operation)
                } catch {
                    group.outcomes.append(.failure(StoreError(error)))
                    return
                }
            }
            group.sequencer = draft
            group.states[annotation] = entry
            group.operations.append(contentsOf: made)
            if let key = request.key { group.keys.append(RecordedWrite(key: key, annotation: annotation, reply: key.reply(made))) }
            group.outcomes.append(.success(.keyed(.written(made))))
        case .remote(let operations, let progress, let validated):
            let admission: Sequencer.Admission
            do {
                admission = try group.sequencer.admit(operations, wallClockMilliseconds: wallClock(), validated: validated)
            } catch {
                group.outcomes.append(.failure(StoreError(error)))
                return
            }
            for operation in admission.accepted {
                let id = operation.annotation
                if group.states[id] == nil { group.states[id] = group.startingState(id, cache: cache) }
                // In place: a copy taken out and put back would copy the state's storage for every operation.
                group.states[id]!.state.apply(operation)
            }
            group.operations.append(contentsOf: admission.accepted)
            var received = ReceivedBatch()
            received.applied = admission.accepted
            received.held = admission.held
            received.duplicates = admission.duplicates
            if let progress { group.progress.append((progress, admission.accepted.count)) }
            group.outcomes.append(.success(.received(received)))
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
        sequencer.resynchronize(
            storedCounter: UInt64(stored), storedVector: fresh, latestTimestamp: HLCTimestamp(rawValue: UInt64(bitPattern: latest))
        )
        needsResync = false
    }

    private static func readCounters(client: PostgresClient, logger: Logger, replica: ReplicaID) async throws -> (VersionVector, Int64, Int64) {
        var fresh = VersionVector()
        for row in try await client.wholeResult("SELECT origin, counter FROM version_vector", logger: logger) {
            let (origin, covered) = try row.decode((String, Int64).self)
            if let id = try? ReplicaID(origin) { fresh.advance(id, to: UInt64(covered)) }
        }
        var stored: Int64 = 0
        var latest: Int64 = 0
        for row in try await client.wholeResult(
            "SELECT coalesce(max(counter), 0), coalesce(max(hlc), 0) FROM operations WHERE origin = \(replica.rawValue)", logger: logger
        ) {
            let (maximum, timestamp) = try row.decode((Int64, Int64).self)
            stored = maximum
            latest = timestamp
        }
        return (fresh, stored, latest)
    }

    func loadMissing(_ ids: Set<AnnotationID>) async throws {
        let missing = ids.filter { cache[$0] == nil }
        guard !missing.isEmpty else { return }
        let (client, logger) = (client, logger)
        let rows = try await withDeadline(timeout, doing: "reading annotations") {
            try await Self.readStates(Array(missing)) { try await client.wholeResult($0, logger: logger) }
        }
        for (id, state) in rows { cache.store(id, state) }
    }

    /// The stored states and versions of `ids`; version 0 and an empty state for those not stored.
    private static func readStates(
        _ ids: [AnnotationID], run: @Sendable (PostgresQuery) async throws -> [PostgresRow]
    ) async throws -> [(AnnotationID, VersionedState)] {
        var found: [AnnotationID: VersionedState] = [:]
        for row in try await run("SELECT id, version, state FROM annotations WHERE id = ANY(\(ids.map(\.uuid)))") {
            let (uuid, version, body) = try row.decode((UUID, Int64, ByteBuffer).self)
            found[AnnotationID(uuid)] = VersionedState(state: try AnnotationState(decoding: Array(buffer: body)), version: version)
        }
        return ids.map { ($0, found[$0] ?? VersionedState(state: AnnotationState(id: $0), version: 0)) }
    }

    /// Stores a group in one statement: its operations (unless `copied`: a COPY in the
    /// same transaction stored them, and the statement advances their origins' vector),
    /// the merged states, idempotency keys, peers' progress, and the commit's announcement.
    static func store(
        _ operations: [AnnotationOperation], states byID: [AnnotationID: VersionedState], keys: [RecordedWrite], progress: [(PeerProgress, Int)],
        by replica: ReplicaID, copied: Bool = false, run: @Sendable (PostgresQuery) async throws -> [PostgresRow]
    ) async throws {
        let ids = byID.keys.sorted()
        let rows = ids.map { MaterializedRow(byID[$0]!.state) }
        let states = ids.map { byID[$0]! }
        let inserted = copied ? [] : operations
        var query: PostgresQuery = """
            SELECT gloss_apply_batch(
                \(inserted.map(\.dot.replica.rawValue)), \(inserted.map { Int64($0.dot.counter) }),
                \(inserted.map { Int64(bitPattern: $0.timestamp.rawValue) }), \(inserted.map(\.annotation.uuid)),
                \(inserted.map(\.kind)), \(inserted.map { ByteBuffer(bytes: $0.encoded()) }),
                \(ids.map(\.uuid)), \(states.map(\.version)), \(rows.map(\.project)), \(rows.map(\.document)), \(rows.map(\.created)),
                \(rows.map(\.creator)), \(rows.map(\.createdHLC)), \(rows.map(\.updatedHLC)), \(rows.map(\.lastAuthor)),
                \(rows.map(\.label)), \(rows.map(\.note)), \(rows.map(\.status)), \(rows.map(\.spanStart)),
                \(rows.map(\.spanEnd)), \(rows.map(\.quote)), \(rows.map(\.tags)), \(rows.map(\.deleted)),
                \(rows.map(\.deleteConflict)), \(rows.map(\.conflicted)), \(states.map { ByteBuffer(bytes: $0.state.encoded()) })
            )
            """
        if copied {
            query.sql += ", gloss_advance_vector($\(query.binds.count + 1))"
            query.binds.append(Array(Set(operations.map(\.dot.replica.rawValue))).sorted())
        }
        if !keys.isEmpty {
            // The same statement, so the keys commit exactly when the writes do.
            let first = query.binds.count + 1
            query.sql += ", gloss_record_keys($\(first), $\(first + 1), $\(first + 2), $\(first + 3), $\(first + 4))"
            query.binds.append(keys.map(\.key.user))
            query.binds.append(keys.map(\.key.key))
            query.binds.append(keys.map { ByteBuffer(bytes: $0.key.fingerprint) })
            query.binds.append(keys.map(\.annotation.uuid))
            query.binds.append(keys.map(\.reply))
        }
        if !progress.isEmpty {
            // Likewise a peer's progress commits exactly with the operations it brought: one
            // row per site (several batches of one link can share a group; one statement may
            // not update a row twice).
            var bySite: [String: (catalog: UInt64, received: Int, database: String)] = [:]
            for (entry, received) in progress {
                let earlier = bySite[entry.site] ?? (0, 0, entry.database)
                // A link's batches come from one database; should two databases of one site both
                // have sent (one after the other), the last one's cursor is kept.
                let catalog = earlier.database == entry.database ? max(earlier.catalog, entry.catalogCursor) : entry.catalogCursor
                bySite[entry.site] = (catalog, earlier.received + received, entry.database)
            }
            let sites = bySite.keys.sorted()
            let first = query.binds.count + 1
            query.sql += ", gloss_record_peers($\(first), $\(first + 1), $\(first + 2), $\(first + 3))"
            query.binds.append(sites)
            query.binds.append(sites.map { Int64(clamping: bySite[$0]!.catalog) })
            query.binds.append(sites.map { Int64(bySite[$0]!.received) })
            query.binds.append(sites.map { bySite[$0]!.database })
        }
        for payload in CommitAnnouncement.payloads(sender: replica, dots: operations.map(\.dot)) {
            // The other glossd processes of this database hear of the commit when it commits (NOTIFY is transactional).
            query.sql += ", pg_notify('\(CommitAnnouncement.channel)', $\(query.binds.count + 1))"
            query.binds.append(payload)
        }
        _ = try await run(query)
    }
}
