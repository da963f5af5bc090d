import Foundation
import GlossClient
import GlossCore
import GlossCoreTesting
import GlossProtocol
import GlossStore
import GlossTestSupport
import Synchronization
import Testing

/// Links through faults: cut for thousands of operations, a site killed in the
/// middle of a catch-up, and a seeded soak with a fault-injecting proxy on every link.
@Suite("Replication through faults", .serialized, .timeLimit(.minutes(10)))
struct ReplicationFaultTests {
    /// Writes `count` operations on `database` as another writer process (replica `replica`):
    /// creates, then label changes, from 16 concurrent writers. Returns the annotations created.
    static func bulkWrite(_ database: TestDatabase, replica: String, count: Int) async throws -> [AnnotationID] {
        let span = try sampleDocument.text.span(quoting: "Japan")
        let creates = count / 5
        return try await database.withStore(replica: replica, migrate: false) { store in
            try await withThrowingTaskGroup(of: [AnnotationID].self) { group in
                for writer in 0..<16 {
                    group.addTask {
                        var made: [AnnotationID] = []
                        for index in stride(from: writer, to: creates, by: 16) {
                            let id = AnnotationID.random()
                            let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("article"), span: span, label: "L\(index)")
                            _ = try await store.perform(.create(seed), on: id, by: "bulk")
                            for edit in 0..<4 { _ = try await store.perform(.set(.label("L\(index)-\(edit)")), on: id, by: "bulk") }
                            made.append(id)
                        }
                        return made
                    }
                }
                var all: [AnnotationID] = []
                for try await made in group { all += made }
                return all
            }
        }
    }

    @Test("A link cut for 10,000 operations heals; a site killed in the middle of that catch-up converges after restarting, nothing lost or doubled")
    func cutThenKillMidCatchUp() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(2) { databases in
            let b = try await cluster.start("b", on: databases[1])
            let proxy = try await FaultProxy(to: b.port, seed: 1)
            let a = try await cluster.start("a", on: databases[0], arguments: ["--peer", "127.0.0.1:\(proxy.port)"])
            try await ReplicationTests.stopping([a, b]) {
                let first = try await ReplicationTests.add(a, as: "ana", quote: "Kishida’s", label: "PERSON")
                try await ReplicationTests.waitUntilPresent(first, on: b)
                proxy.cutLink()
                let written = try await Self.bulkWrite(databases[0], replica: "a-bulk", count: 10_000)
                #expect(try await databases[0].count("SELECT count(*) FROM operations WHERE origin = 'a-bulk'") == 10_000)
                #expect(try await databases[1].count("SELECT count(*) FROM operations WHERE origin = 'a-bulk'") == 0, "nothing crossed the cut link")
                proxy.heal()

                // Kill b as soon as the catch-up has begun, then start it again.
                let deadline = ContinuousClock.now + .seconds(60)
                while try await databases[1].count("SELECT count(*) FROM operations WHERE origin = 'a-bulk'") == 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(10))
                }
                let atKill = try await databases[1].count("SELECT count(*) FROM operations WHERE origin = 'a-bulk'")
                await b.kill()
                #expect(atKill > 0)
                try await b.relaunch()
                try await SiteCluster.waitForConvergence([a, b], within: .seconds(120))
                let stored = try await databases[1].count("SELECT count(*) FROM operations WHERE origin = 'a-bulk'")
                let highest = try await databases[1].count("SELECT max(counter) FROM operations WHERE origin = 'a-bulk'")
                #expect(stored == 10_000 && highest == 10_000, "every operation once")
                #expect(try await databases[1].count("SELECT count(*) FROM annotations WHERE creator = 'bulk'") == written.count)
                #expect(try await databases[1].count("SELECT counter FROM version_vector WHERE origin = 'a-bulk'") == 10_000)
            }
            await proxy.close()
        }
    }

    /// The soak's seed: `GLOSS_REPLICATION_SEED` replays a run; otherwise a new one, printed.
    static let soakSeed: UInt64 = ProcessInfo.processInfo.environment["GLOSS_REPLICATION_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
    /// How long analysts write in the soak (`GLOSS_REPLICATION_SOAK_SECONDS`, default 12).
    static let soakSeconds = Int(ProcessInfo.processInfo.environment["GLOSS_REPLICATION_SOAK_SECONDS"] ?? "") ?? 12

    @Test("Seeded soak: a triangle of sites behind fault-injecting proxies, analysts writing on every site, sites killed and restarted; it converges and keeps every acknowledged write")
    func seededSoak() async throws {
        let seed = Self.soakSeed
        print("replication soak seed \(seed) (replay: GLOSS_REPLICATION_SEED=\(seed) swift test --filter seededSoak)")
        var random = SeededRandom(seed: seed)
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(3) { databases in
            let c = try await cluster.start("c", on: databases[2])
            let toC = try await FaultProxy(to: c.port, seed: random.next(), faults: .hostile)
            let b = try await cluster.start("b", on: databases[1], arguments: ["--peer", "127.0.0.1:\(toC.port)"])
            let toB = try await FaultProxy(to: b.port, seed: random.next(), faults: .hostile)
            let a = try await cluster.start("a", on: databases[0], arguments: ["--peer", "127.0.0.1:\(toB.port)"])
            let toA = try await FaultProxy(to: a.port, seed: random.next(), faults: .hostile)
            let proxies = [toA, toB, toC]
            let sites = [a, b, c]
            try await ReplicationTests.stopping(sites) {
                // Close the triangle: c dials a (through its proxy), from its stored peer list.
                _ = try await databases[2].withStore(replica: "c-admin", migrate: false) { store in try await store.addPeerAddress("127.0.0.1:\(toA.port)") }

                let acknowledged = Acknowledged()
                let writerSeeds = (0..<6).map { _ in random.next() }
                let restartPlan = (0..<2).map { _ in (site: Int(random.next() % 3), after: Double(random.next() % 1_000) / 1_000) }
                let end = ContinuousClock.now + .seconds(Self.soakSeconds)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, writerSeed) in writerSeeds.enumerated() {
                        group.addTask { await Self.write(on: sites[index % 3], seed: writerSeed, until: end, acknowledged: acknowledged) }
                    }
                    group.addTask {
                        for step in restartPlan {
                            try await Task.sleep(for: .seconds(Double(Self.soakSeconds) * step.after / 2))
                            await sites[step.site].kill()
                            try await Task.sleep(for: .milliseconds(500))
                            try await sites[step.site].relaunch()
                        }
                    }
                    try await group.waitForAll()
                }
                for proxy in proxies { proxy.heal() }
                let injected = proxies.map(\.injected)
                print("replication soak seed \(seed): \(acknowledged.count) acknowledged creates; faults injected \(injected)")
                try await SiteCluster.waitForConvergence(sites, within: .seconds(120))
                let created = acknowledged.all
                for database in databases {
                    let found = try await database.withStore(replica: "soak-reader", migrate: false) { store in
                        try await store.annotations(of: sampleDocument.key, includeDeleted: true).map(\.id)
                    }
                    let missing = created.subtracting(found)
                    #expect(missing.isEmpty, "seed \(seed): \(missing.count) acknowledged annotations missing from \(database.configuration.database)")
                }
            }
            for proxy in proxies { await proxy.close() }
        }
    }

    /// Annotations whose creation a site acknowledged.
    final class Acknowledged: Sendable {
        private let ids = Mutex<Set<AnnotationID>>([])
        func insert(_ id: AnnotationID) { ids.withLock { _ = $0.insert(id) } }
        var all: Set<AnnotationID> { ids.withLock { $0 } }
        var count: Int { ids.withLock { $0.count } }
    }

    /// One analyst: creates annotations and edits, tags and deletes the ones it made, until `end`;
    /// reconnects when its site restarts. Records every create the site acknowledged.
    static func write(on site: ServerProcess, seed: UInt64, until end: ContinuousClock.Instant, acknowledged: Acknowledged) async {
        var random = SeededRandom(seed: seed)
        var mine: [AnnotationID] = []
        let quotes = ["Japan", "United States", "security", "talks", "Kishida’s", "Washington"]
        while ContinuousClock.now < end {
            guard let connection = try? await site.connect(as: random.chance(0.5) ? "ana" : "ben") else {
                try? await Task.sleep(for: .milliseconds(200))
                continue
            }
            while ContinuousClock.now < end {
                let choice = random.next() % 10
                do {
                    if mine.isEmpty || choice < 3 {
                        let quote = quotes[Int(random.next() % UInt64(quotes.count))]
                        let new = NewAnnotation(document: ReplicationTests.article, target: .quote(quote, occurrence: nil), label: "L\(random.next() % 5)")
                        let reply = try await connection.send(.add(new)).reply
                        if let text = reply["id"], let id = try? AnnotationID(text) {
                            acknowledged.insert(id)
                            mine.append(id)
                        }
                    } else {
                        let id = mine[Int(random.next() % UInt64(mine.count))]
                        switch choice {
                        case 3, 4, 5: _ = try await connection.send(.set(id, [.label("L\(random.next() % 5)")]))
                        case 6: _ = try await connection.send(.tag(id, ["t\(random.next() % 3)"]))
                        case 7: _ = try await connection.send(.untag(id, ["t\(random.next() % 3)"]))
                        case 8: _ = try await connection.send(.delete(id))
                        default: _ = try await connection.send(.restore(id))
                        }
                    }
                } catch where [ClientError.connectionClosed, ClientError.connectionFailed, ClientError.tlsFailed, "shutting-down"].contains(error.code) {
                    break
                } catch {
                    // Refusals (an edit after a deletion, a restore without a conflict, a site catching up) are part of the game.
                }
            }
            await connection.close()
        }
    }
}
