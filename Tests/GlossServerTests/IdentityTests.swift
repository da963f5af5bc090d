import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// Restored and copied databases: no dot is ever issued twice, and no origin's history forks.
@Suite("Replication: site identity", .serialized, .timeLimit(.minutes(5)))
struct IdentityTests {
    /// Adds an annotation on `site`, retrying while the site says it is unavailable (up to `limit`).
    static func addRetrying(_ site: ServerProcess, quote: String, within limit: Duration = .seconds(40)) async throws -> AnnotationID {
        let deadline = ContinuousClock.now + limit
        while true {
            do {
                return try await ReplicationTests.add(site, as: "ana", quote: quote, label: "TERM")
            } catch let error as ClientError where error.code == "unavailable" && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    @Test("A site restored from an older pg_dump recovers its own operations from a peer before writing, and never reuses a dot")
    func restoredFromBackup() async throws {
        let cluster = try SiteCluster()
        let backup = NSTemporaryDirectory() + "gloss-backup-\(UUID().uuidString).sql"
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try await ReplicationTests.withDatabases(2) { databases in
            let b = try await cluster.start("b", on: databases[1])
            let a = try await cluster.start("a", on: databases[0], peers: [b])
            try await ReplicationTests.stopping([a, b]) {
                var written: [AnnotationID] = []
                for quote in ["Japan", "United States"] { written.append(try await Self.addRetrying(a, quote: quote)) }
                for id in written { try await ReplicationTests.waitUntilPresent(id, on: b) }
                try await databases[0].dump(to: backup)
                for quote in ["security", "Washington"] { written.append(try await Self.addRetrying(a, quote: quote)) }
                for id in written { try await ReplicationTests.waitUntilPresent(id, on: b) }
                let counterBefore = try await databases[1].count("SELECT max(counter) FROM operations WHERE origin = 'a-1'")

                _ = await a.stop()
                try await databases[0].restore(from: backup)
                #expect(try await databases[0].count("SELECT max(counter) FROM operations WHERE origin = 'a-1'") < counterBefore)
                try await a.relaunch()
                let after = try await Self.addRetrying(a, quote: "talks")
                try await SiteCluster.waitForConvergence([a, b])
                for id in written + [after] {
                    try await ReplicationTests.waitUntilPresent(id, on: a)
                    try await ReplicationTests.waitUntilPresent(id, on: b)
                }
                for database in databases {
                    let counters = try await database.count("SELECT count(*) FROM operations WHERE origin = 'a-1'")
                    let highest = try await database.count("SELECT max(counter) FROM operations WHERE origin = 'a-1'")
                    #expect(counters == highest && highest > counterBefore, "a-1's counters are 1…\(highest) with no gap and none reused")
                }
                #expect(a.log.contains("behind-own-history") || a.log.contains("restored from an older backup"), "\(a.log)")
            }
        }
    }

    @Test("A database copied to start another site is refused by its peers: under another site's name, or as a second live copy")
    func copiedDatabase() async throws {
        let cluster = try SiteCluster()
        let backup = NSTemporaryDirectory() + "gloss-copy-\(UUID().uuidString).sql"
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try await ReplicationTests.withDatabases(2) { databases in
            let b = try await cluster.start("b", on: databases[1])
            let a = try await cluster.start("a", on: databases[0], peers: [b])
            try await ReplicationTests.stopping([a, b]) {
                let written = try await Self.addRetrying(a, quote: "Japan")
                try await ReplicationTests.waitUntilPresent(written, on: b)
                try await databases[0].dump(to: backup)
                for (site, code) in [("c", "identity-conflict"), ("a", "duplicate-site")] {
                    let copy = try await TestDatabase.copy(of: backup)
                    let clone = try await cluster.start(
                        site, on: copy, replica: "a-1", peers: [b], arguments: ["--log-level", "notice"], existingTokens: a.tokens
                    )
                    let deadline = ContinuousClock.now + .seconds(15)
                    while !clone.log.contains(code), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    _ = await clone.stop()
                    await copy.drop()
                    #expect(clone.log.contains(code), "\(site): \(clone.log)")
                    // The copy accepted b's greeting, but b refused the copy's: no link was made, so none is announced.
                    #expect(!clone.log.contains("] linked"), "\(site): \(clone.log)")
                }
                #expect(try await databases[1].count("SELECT count(*) FROM peer_sites WHERE site = 'c'") == 0, "b never linked with the copy")
            }
        }
    }

    @Test("A second database presenting a linked site's certificate is refused as duplicate-site; the first site's link goes on")
    func twoDatabasesOneCertificate() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(3) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a])
            try await ReplicationTests.stopping([a, b]) {
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                let impostor = try await cluster.start("a", on: databases[2], replica: "d-1", peers: [b])
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline, !impostor.log.contains("two databases present one site's certificate") {
                    try await Task.sleep(for: .milliseconds(200))
                }
                _ = await impostor.stop()
                #expect(impostor.log.contains("duplicate-site") && impostor.log.contains("two databases present one site's certificate"), "\(impostor.log.suffix(2_000))")
                let id = try await ReplicationTests.add(a, as: "ana", quote: "Japan", label: "PLACE")
                try await ReplicationTests.waitUntilPresent(id, on: b)
            }
        }
    }

    @Test("A copy running as the original where no peer sees both: the original holds what the copy wrote under its replica id as forked-replica, and says so")
    func forkedReplicaThroughOthers() async throws {
        let cluster = try SiteCluster()
        let backup = NSTemporaryDirectory() + "gloss-fork-\(UUID().uuidString).sql"
        defer { try? FileManager.default.removeItem(atPath: backup) }
        try await ReplicationTests.withDatabases(3) { databases in
            let b = try await cluster.start("b", on: databases[1])
            let c = try await cluster.start("c", on: databases[2], peers: [b])
            let a = try await cluster.start("a", on: databases[0], peers: [b])
            try await ReplicationTests.stopping([a, b, c]) {
                let written = try await Self.addRetrying(a, quote: "Japan")
                try await ReplicationTests.waitUntilPresent(written, on: c)
                try await databases[0].dump(to: backup)
                let copy = try await TestDatabase.copy(of: backup)
                // The copy claims site a and replica a-1 and links only to c; a links only to b.
                let clone = try await cluster.start("a", on: copy, replica: "a-1", peers: [c], existingTokens: a.tokens)
                try await ReplicationTests.stopping([clone]) {
                    _ = try await Self.addRetrying(clone, quote: "security")
                    let deadline = ContinuousClock.now + .seconds(30)
                    while !a.log.contains("forked-replica"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
                    #expect(a.log.contains("forked-replica"), "\(a.log.suffix(3_000))")
                }
                await copy.drop()
            }
        }
    }

}
