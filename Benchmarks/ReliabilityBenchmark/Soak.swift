import BenchmarkSupport
import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import Synchronization

/// Events received by the subscribers.
final class EventCount: Sendable {
    let value = Mutex(0)
}

/// Writers at a steady total rate and subscribers following the project, for some minutes;
/// prints latency percentiles and events per minute, and glossd's memory at the start and end.
func runSoak(_ options: BenchOptions) async throws {
    let latencies = Latencies()
    let events = EventCount()
    let startRSS = memory(options.serverPID, "VmRSS")
    print(String(format: "soak start rate=%.0f writers=%d subscribers=%d minutes=%d glossd_rss_mib=%.1f", options.rate, options.writers, options.subscribers, options.minutes, Double(startRSS) / 1024))
    var subscribers: [GlossConnection] = []
    for _ in 0..<options.subscribers {
        let connection = try await options.connect()
        _ = try await connection.send(.subscribe(.project(try ProjectID(options.project))))
        subscribers.append(connection)
    }
    let listeners = subscribers.map { connection in
        Task {
            for await _ in connection.events { events.value.withLock { $0 += 1 } }
        }
    }
    let writers = (0..<options.writers).map { lane in Task { await soakWriter(lane: lane, options: options, into: latencies) } }
    for minute in 1...options.minutes {
        try await Task.sleep(for: .seconds(60))
        let result = latencies.take()
        let received = events.value.withLock { count in
            defer { count = 0 }
            return count
        }
        print(String(
            format: "soak minute=%d operations=%llu failures=%d p50_ms=%.2f p95_ms=%.2f p99_ms=%.2f max_ms=%.2f events=%d glossd_rss_mib=%.1f",
            minute, result.count, result.failures, result.p50, result.p95, result.p99, result.max, received, Double(memory(options.serverPID, "VmRSS")) / 1024
        ))
    }
    for writer in writers { writer.cancel() }
    for writer in writers { await writer.value }
    for connection in subscribers { await connection.close() }
    for listener in listeners { await listener.value }
    let endRSS = memory(options.serverPID, "VmRSS")
    print(String(format: "soak end glossd_rss_start_mib=%.1f glossd_rss_end_mib=%.1f glossd_peak_mib=%.1f", Double(startRSS) / 1024, Double(endRSS) / 1024, Double(memory(options.serverPID, "VmHWM")) / 1024))
}

/// One writer at its share of the rate: mostly ADDs, some edits of what it added, some reads.
func soakWriter(lane: Int, options: BenchOptions, into latencies: Latencies) async {
    guard let connection = try? await options.connect() else {
        latencies.fail()
        return
    }
    let interval = Duration.seconds(Double(options.writers) / options.rate)
    let document = DocumentReference(try! DocumentID(options.document), in: try! ProjectID(options.project))
    var added: [AnnotationID] = []
    var next = ContinuousClock.now
    var index = 0
    while !Task.isCancelled {
        index += 1
        let started = ContinuousClock.now
        do {
            if added.isEmpty || index % 10 < 7 {
                let reply = try await connection.send(.add(NewAnnotation(document: document, target: .offsets(start: index % 50, end: index % 50 + 6), label: "SOAK")), key: "soak-\(lane)-\(index)-\(UUID().uuidString)").reply
                if let id = reply["id"].flatMap({ try? AnnotationID($0) }), added.count < 1_000 { added.append(id) }
            } else if index % 10 < 9 {
                _ = try await connection.send(.set(added[index % added.count], [.note("soak \(index)")]))
            } else {
                _ = try await connection.send(.get(added[index % added.count]))
            }
            latencies.record(microseconds: UInt64(milliseconds(ContinuousClock.now - started) * 1_000))
        } catch {
            latencies.fail()
        }
        next += interval
        if next > ContinuousClock.now { try? await Task.sleep(until: next) } else { next = ContinuousClock.now }
    }
    await connection.close()
}
