import Foundation
import GlossCore
import GlossEmbeddedPostgres
import GlossStore
import GlossTestSupport
import Logging
import Synchronization
import Testing

@Suite("PostgreSQL restarts", .timeLimit(.minutes(3)))
struct RestartTests {
    @Test("PostgreSQL stopped and restarted during writes: writers get the retryable error, then succeed; nothing acknowledged is lost")
    func restartDuringWrites() async throws {
        let folder = "/tmp/gloss-restart-\(UInt32.random(in: 0...UInt32.max))"
        let cluster = EmbeddedPostgres(folder: folder, durable: true)
        defer { try? cluster.destroy() }
        let endpoint = try cluster.start()
        try cluster.createDatabase("gloss")
        let configuration = DatabaseConfiguration(host: endpoint.host, port: endpoint.port, username: endpoint.username, database: "gloss")
        let database = TestDatabase(configuration: configuration, admin: configuration)
        let errors = ErrorTally()

        var options = GlossStore.Options()
        options.writeTimeout = .seconds(2)
        let acknowledged = try await database.withStore(replica: "restarted", options: options) { store in
            try await store.putDocument(sampleDocument)
            let ids = try await WriteTests.createAnnotations(store, count: 20)
            async let outage: Void = {
                try await Task.sleep(for: .milliseconds(300))
                try cluster.stop()
                // Stay down until writers have met the outage (however busy this machine is), then a little longer.
                let down = ContinuousClock.now
                while errors.retryable.withLock({ $0 }) == 0, ContinuousClock.now - down < .seconds(60) {
                    try await Task.sleep(for: .milliseconds(100))
                }
                try await Task.sleep(for: .milliseconds(500))
                _ = try cluster.start()
                errors.restartedAt.withLock { $0 = ContinuousClock.now }
            }()
            let dots = try await withThrowingTaskGroup(of: [Dot].self) { group in
                for writer in 0..<4 {
                    group.addTask {
                        var dots: [Dot] = []
                        var index = 0
                        var afterRestart = 0
                        // A busy machine may take long to stop and start PostgreSQL: the writers get 60 s after the restart.
                        let started = ContinuousClock.now
                        func pastDeadline() -> Bool {
                            let restartedAt = errors.restartedAt.withLock { $0 }
                            return ContinuousClock.now > (restartedAt ?? started + .seconds(90)) + .seconds(60)
                        }
                        while afterRestart < 100, !pastDeadline() {
                            do {
                                let operation = try await store.perform(.set(.note("w\(writer) #\(index)")), on: ids[(writer + index) % ids.count], by: "w\(writer)")
                                dots.append(operation.dot)
                                index += 1
                                if errors.restartedAt.withLock({ $0 }) != nil { afterRestart += 1 }
                            } catch let error as StoreError where error.isRetryable {
                                errors.retryable.withLock { $0 += 1 }
                                try await Task.sleep(for: .milliseconds(50))
                            } catch {
                                errors.other.withLock { $0.append("\(error)") }
                                try await Task.sleep(for: .milliseconds(50))
                            }
                        }
                        return dots
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            try await outage
            return dots
        }
        #expect(acknowledged.count >= 400, "every writer wrote 100 operations after the restart")
        let retryable = errors.retryable.withLock { $0 }
        let other = errors.other.withLock { $0 }
        #expect(retryable > 0, "the outage was noticed as a retryable error")
        #expect(other.isEmpty, "\(other)")
        let storedDots = try await database.withStore(replica: "auditor") { store in
            let operations = try await store.operations(after: VersionVector(), limit: 100_000)
            return Set(operations.map(\.dot))
        }
        let missing = acknowledged.filter { !storedDots.contains($0) }
        #expect(missing.isEmpty, "acknowledged but not stored: \(missing.prefix(5))")
        let report = try await database.withStore(replica: "auditor") { store in try await store.checkConsistency() }
        #expect(report.isConsistent, "\(report)")
    }
}

/// Errors the writers saw, and whether the database is back, shared between their tasks.
final class ErrorTally: Sendable {
    let retryable = Mutex(0)
    let other = Mutex<[String]>([])
    let restartedAt = Mutex<ContinuousClock.Instant?>(nil)
}
