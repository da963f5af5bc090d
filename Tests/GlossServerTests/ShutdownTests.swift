import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Synchronization
import Testing

/// SIGTERM under load: glossd stops taking requests, finishes those in flight, and loses nothing it acknowledged.
@Suite("Graceful shutdown", .timeLimit(.minutes(2)))
struct ShutdownTests {
    @Test("Every write acknowledged before or during shutdown is stored; glossd exits 0")
    func underLoad() async throws {
        try await ServerProcess.with { server in
            let acknowledged = IDList()
            let writers = try await (0..<8).asyncMap { _ in try await server.connect(as: "ana") }
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for (number, writer) in writers.enumerated() {
                        for lane in 0..<4 {
                            group.addTask {
                                var index = 0
                                while true {
                                    index += 1
                                    let new = NewAnnotation(document: DocumentReference(try! DocumentID("article")), target: .offsets(start: index % 40, end: index % 40 + 3))
                                    guard let reply = try? await writer.send(.add(new), key: "w\(number)-\(lane)-\(index)").reply else { return }
                                    acknowledged.ids.withLock { $0.append(reply["id"]!) }
                                }
                            }
                        }
                    }
                }
            }
            // Stop while the load runs: once some writes are acknowledged, however long that takes here.
            let started = ContinuousClock.now
            while acknowledged.ids.withLock({ $0.count }) < 20, ContinuousClock.now - started < .seconds(60) {
                try await Task.sleep(for: .milliseconds(20))
            }
            let before = acknowledged.ids.withLock { $0.count }
            let status = await server.stop()
            await load.value
            let ids = acknowledged.ids.withLock { $0 }
            #expect(status == 0, "glossd exits cleanly: \(server.log)")
            #expect(before >= 20, "the load was running when glossd was stopped (\(before) writes acknowledged)")
            let list = ids.map { "'\($0)'" }.joined(separator: ",")
            let stored = try await server.database.count("SELECT count(*)::bigint FROM annotations WHERE id IN (\(list))")
            #expect(stored == ids.count, "\(ids.count) acknowledged, \(stored) stored")
            for writer in writers { await writer.close() }
        }
    }
}

extension Sequence where Element: Sendable {
    /// Maps in order, awaiting each element.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}

/// Ids collected from concurrent writers.
final class IDList: Sendable {
    let ids = Mutex<[String]>([])
}
