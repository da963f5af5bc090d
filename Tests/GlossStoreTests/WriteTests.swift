import Foundation
import GlossCore
import GlossCoreTesting
import GlossStore
import GlossTestSupport
import PostgresNIO
import Synchronization
import Testing

@Suite("Store writes", .timeLimit(.minutes(3)))
struct WriteTests {
    /// Operations from a simulated three-site run, all delivered (so one replica holds the expected state).
    static func simulatedOperations(seed: UInt64, steps: Int) -> (operations: [AnnotationOperation], expected: StateDigest) {
        var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
        simulation.run(steps: steps)
        simulation.repair()
        return (simulation.known[0].values.sorted { $0.dot < $1.dot }, simulation.replicas[0].digest)
    }

    @Test("The same batch twice, and in different orders from two connections, gives GlossCore's state")
    func idempotentAndOrderFree() async throws {
        let (operations, expected) = Self.simulatedOperations(seed: 42, steps: 600)
        try await withTestDatabase { database in
            _ = try await database.withStore(replica: "writer-1") { store in
                try await store.apply(operations)
                try await store.apply(operations)
            }
            let digest = try await database.withStore(replica: "reader") { store in try await Self.digest(of: store) }
            #expect(digest == expected)
            let stored = try await database.count("SELECT count(*) FROM operations")
            #expect(stored == operations.count)
        }
        try await withTestDatabase { database in
            let half = operations.count / 2
            let reversedChunks = stride(from: 0, to: operations.count, by: 25).map { Array(operations[$0..<min($0 + 25, operations.count)]) }.reversed()
            async let first: Void = database.withStore(replica: "writer-1") { store in
                for chunk in reversedChunks { try await store.apply(chunk) }
            }
            async let second: Void = database.withStore(replica: "writer-2") { store in
                try await store.apply(Array(operations[half...]))
                try await store.apply(Array(operations[..<half].shuffled()))
            }
            _ = try await (first, second)
            let (digest, report) = try await database.withStore(replica: "reader") { store in
                (try await Self.digest(of: store), try await store.checkConsistency())
            }
            #expect(digest == expected)
            #expect(report.isConsistent, "\(report)")
            let vectorTotal = try await database.count("SELECT sum(counter)::bigint FROM version_vector")
            #expect(vectorTotal == operations.count, "every origin's vector covers all its operations")
        }
    }

    @Test("A batch with one invalid operation leaves nothing behind")
    func invalidBatchIsAtomic() async throws {
        let (operations, _) = Self.simulatedOperations(seed: 7, steps: 100)
        var broken = operations
        let victim = broken[broken.count / 2]
        broken[broken.count / 2] = AnnotationOperation(
            dot: victim.dot, timestamp: victim.timestamp, author: "", annotation: victim.annotation, context: victim.context, payload: victim.payload
        )
        let refused = broken
        try await withTestDatabase { database in
            await #expect { try await database.withStore { store in try await store.apply(refused) } } throws: { error in
                (error as? StoreError)?.coreError?.code == .malformedOperation
            }
            let stored = try await database.count("SELECT count(*) FROM operations")
            let states = try await database.count("SELECT count(*) FROM annotations")
            #expect(stored == 0 && states == 0)
        }
    }

    @Test("An operation from a clock too far ahead is held; the rest of its batch is stored, and a repeat stores nothing twice")
    func driftedOperationIsHeld() async throws {
        let (operations, _) = Self.simulatedOperations(seed: 13, steps: 60)
        let victim = operations[operations.count / 2]
        let hourAhead = HLCTimestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000) + 3_600_000, logical: 0)
        var batch = operations
        batch[operations.count / 2] = AnnotationOperation(
            dot: victim.dot, timestamp: hourAhead, author: victim.author, annotation: victim.annotation, context: victim.context, payload: victim.payload
        )
        let drifted = batch
        try await withTestDatabase { database in
            let (first, second) = try await database.withStore { store in
                (try await store.apply(drifted), try await store.apply(drifted))
            }
            // The later operations of the victim's origin in the batch wait with it.
            let held = [victim.dot] + operations[(operations.count / 2 + 1)...].filter { $0.dot.replica == victim.dot.replica }.map(\.dot)
            #expect(first.held.map(\.operation.dot) == held)
            #expect(first.held.first?.reason.code == .clockDrift)
            #expect(first.applied.count == operations.count - held.count && first.duplicates == 0)
            #expect(second.applied.isEmpty && second.duplicates == operations.count - held.count && second.held.count == held.count)
            let stored = try await database.count("SELECT count(*) FROM operations")
            #expect(stored == operations.count - held.count)
            let victimStored = try await database.count("SELECT count(*) FROM operations WHERE origin = '\(victim.dot.replica.rawValue)' AND counter = \(Int64(victim.dot.counter))")
            #expect(victimStored == 0)
        }
    }

    @Test("Every commit observer sees every commit, local and from elsewhere, in commit order")
    func severalObservers() async throws {
        let (operations, _) = Self.simulatedOperations(seed: 17, steps: 40)
        try await withTestDatabase { database in
            let seen = try await database.withStore { store in
                let first = Mutex<[Dot]>([])
                let second = Mutex<[Dot]>([])
                await store.observeCommits { group in first.withLock { $0 += group.operations.map(\.dot) } }
                await store.observeCommits { group in second.withLock { $0 += group.operations.map(\.dot) } }
                try await store.apply(operations)
                let seed = AnnotationSeed(
                    project: try ProjectID("news"), document: try DocumentID("article"), span: Span(start: 0, end: 1, quote: "a", prefix: "", suffix: "")
                )
                let local = try await store.perform(.create(seed), on: AnnotationID.random(), by: "ana")
                return (first.withLock { $0 }, second.withLock { $0 }, local.dot)
            }
            #expect(seen.0 == operations.map(\.dot) + [seen.2])
            #expect(seen.1 == seen.0)
        }
    }

    @Test("A connection killed mid-transaction leaves nothing half applied, and the store carries on")
    func terminatedBackend() async throws {
        let (operations, expected) = Self.simulatedOperations(seed: 11, steps: 3_000)
        try await withTestDatabase { database in
            let outcome = try await database.withStore(replica: "victim", options: Self.bigBatches) { store in
                async let kill: Void = {
                    try await Task.sleep(for: .milliseconds(30))
                    try await TestDatabase.adminQuery(
                        database.admin,
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = \(database.configuration.database) AND pid <> pg_backend_pid()"
                    )
                }()
                let first: Result<Void, StoreError>
                do {
                    for _ in 0..<20 { try await store.apply(operations) }
                    first = .success(())
                } catch {
                    first = .failure(error as! StoreError)
                }
                try await kill
                let stored = try await database.count("SELECT count(*) FROM operations")
                try await store.apply(operations)
                return (first, stored)
            }
            if case .failure(let error) = outcome.0 { #expect(error.isRetryable, "\(error)") }
            #expect(outcome.1 == 0 || outcome.1 == operations.count, "all of the batch or none: \(outcome.1) of \(operations.count)")
            let (digest, report) = try await database.withStore(replica: "reader") { store in
                (try await Self.digest(of: store), try await store.checkConsistency())
            }
            #expect(digest == expected)
            #expect(report.isConsistent, "\(report)")
        }
    }

    @Test("8 concurrent writers × 5,000 operations: each stored exactly once, and glossd check passes")
    func concurrentWriters() async throws {
        try await withTestDatabase { database in
            let (report, statistics, acknowledged) = try await database.withStore(replica: "busy") { store in
                try await store.putDocument(sampleDocument)
                let ids = try await Self.createAnnotations(store, count: 200)
                let acknowledged = try await withThrowingTaskGroup(of: Int.self) { group in
                    for writer in 0..<8 {
                        group.addTask {
                            var random = SeededRandom(seed: UInt64(writer))
                            for index in 0..<5_000 {
                                let id = ids[Int(random.next() % UInt64(ids.count))]
                                let payload: AnnotationOperation.Payload = index % 3 == 0
                                    ? .set(.note("writer \(writer) note \(index)")) : index % 3 == 1 ? .set(.label("L\(writer)")) : .addTag("w\(writer)")
                                _ = try await store.perform(payload, on: id, by: "writer\(writer)")
                            }
                            return 5_000
                        }
                    }
                    return try await group.reduce(0, +)
                }
                return (try await store.checkConsistency(), await store.commitStatistics(), acknowledged)
            }
            let stored = try await database.count("SELECT count(*) FROM operations")
            let distinct = try await database.count("SELECT count(DISTINCT (origin, counter)) FROM operations")
            let covered = try await database.count("SELECT sum(counter)::bigint FROM version_vector WHERE origin = 'busy'")
            #expect(acknowledged == 40_000)
            #expect(stored == 40_200 && distinct == 40_200 && covered == 40_200)
            #expect(report.isConsistent, "\(report)")
            #expect(statistics.commits < statistics.operations / 2, "group commit shares transactions: \(statistics)")
        }
    }

    @Test("Two processes writing the same annotations: retried on conflict, nothing lost, consistent")
    func twoProcessesSameAnnotations() async throws {
        try await withTestDatabase { database in
            let ids = try await database.withStore(replica: "setup") { store in
                try await store.putDocument(sampleDocument)
                return try await Self.createAnnotations(store, count: 5)
            }
            async let first = database.withStore(replica: "process-1") { store in try await Self.hammer(store, ids: ids, writers: 4, each: 75) }
            async let second = database.withStore(replica: "process-2") { store in try await Self.hammer(store, ids: ids, writers: 4, each: 75) }
            let written = try await first + second
            let report = try await database.withStore(replica: "auditor") { store in try await store.checkConsistency() }
            let stored = try await database.count("SELECT count(*) FROM operations")
            #expect(written == 600)
            #expect(stored == 605)
            #expect(report.isConsistent, "\(report)")
        }
    }

    /// Writers performing notes and tags on a few annotations; returns how many were acknowledged.
    static func hammer(_ store: GlossStore, ids: [AnnotationID], writers: Int, each: Int) async throws -> Int {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for writer in 0..<writers {
                group.addTask {
                    for index in 0..<each {
                        let payload: AnnotationOperation.Payload = index % 2 == 0 ? .set(.note("\(store.replica) \(writer) \(index)")) : .addTag("t\(writer)")
                        _ = try await store.perform(payload, on: ids[(writer + index) % ids.count], by: "w\(writer)")
                    }
                    return each
                }
            }
            return try await group.reduce(0, +)
        }
    }

    static let bigBatches: GlossStore.Options = {
        var options = GlossStore.Options()
        options.maximumBatch = 100_000
        return options
    }()

    static func createAnnotations(_ store: GlossStore, count: Int) async throws -> [AnnotationID] {
        var ids: [AnnotationID] = []
        for index in 0..<count {
            let id = AnnotationID.random()
            let span = try sampleDocument.text.span(start: index % 50, end: index % 50 + 5)
            _ = try await store.perform(.create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: span, label: "PERSON")), on: id, by: "seed")
            ids.append(id)
        }
        return ids
    }

    /// The digest of every stored (created) annotation state, in id order, like `Replica.digest`.
    static func digest(of store: GlossStore) async throws -> StateDigest {
        var states: [AnnotationState] = []
        var cursor: Int64 = 0
        while true {
            let page = try await store.list(AnnotationFilter(includeDeleted: true), after: cursor, limit: 1_000)
            states += page.annotations
            guard let next = page.nextCursor else { break }
            cursor = next
        }
        return StateDigest(of: states.sorted { $0.id < $1.id })
    }
}
