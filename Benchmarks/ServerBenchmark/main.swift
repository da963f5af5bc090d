// gloss-server-bench: load on a running glossd over TLS, through the same
// client library as the gloss CLI.
//
//   writes/reads: N connections, each with P requests in flight, for S seconds
//   (or paced to a total rate); prints operations per second and latency
//   percentiles from an HdrHistogram, plus glossd's memory when --server-pid is given.
//   idle: opens N authenticated connections, holds them, prints glossd's memory.
import BenchmarkSupport
import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import Histogram
import Synchronization

struct Options {
    var host = "127.0.0.1"
    var port = 7433
    var caFile = ""
    var token = ""
    var mode = "writes"
    var connections = 64
    var pipeline = 4
    var seconds = 10.0
    var rate = 0.0
    var serverPID: Int32 = 0

    init(_ arguments: [String]) {
        readOptions(arguments) { name, value in
            switch name {
            case "--host": host = value
            case "--port": port = Int(value)!
            case "--ca-file": caFile = value
            case "--token": token = value
            case "--mode": mode = value
            case "--connections": connections = Int(value)!
            case "--pipeline": pipeline = Int(value)!
            case "--seconds": seconds = Double(value)!
            case "--rate": rate = Double(value)!
            case "--server-pid": serverPID = Int32(value)!
            default: return false
            }
            return true
        }
    }
}

/// Latencies of every worker, merged at the end.
final class Recorder: Sendable {
    private let state = Mutex((histogram: Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three), errors: 0, count: 0))

    func record(_ histogram: Histogram<UInt64>, errors: Int, count: Int) {
        state.withLock { state in
            state.histogram.add(histogram)
            state.errors += errors
            state.count += count
        }
    }

    var result: (Histogram<UInt64>, Int, Int) { state.withLock { ($0.histogram, $0.errors, $0.count) } }
}

/// Connections opened by concurrent lanes.
final class ConnectionBag: Sendable {
    let connections = Mutex<[GlossConnection]>([])
}

func connect(_ options: Options) async throws -> GlossConnection {
    let connection = try await GlossConnection.connect(host: options.host, port: options.port, trust: .certificateAuthority(path: options.caFile))
    _ = try await connection.send(.auth(token: options.token))
    return connection
}

@main
struct ServerBenchmark {
    static func main() async throws {
        let options = Options(CommandLine.arguments)
        raiseFileLimit()
        if options.mode == "idle" { try await idle(options) } else { try await load(options) }
    }
}

/// Opens many authenticated connections, holds them, and reports glossd's memory.
func idle(_ options: Options) async throws {
    let before = memory(options.serverPID, "VmRSS")
    let opened = ConnectionBag()
    let clock = ContinuousClock()
    let start = clock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        let lanes = 32
        for lane in 0..<lanes {
            group.addTask {
                var mine: [GlossConnection] = []
                for _ in stride(from: lane, to: options.connections, by: lanes) { mine.append(try await connect(options)) }
                let batch = mine
                opened.connections.withLock { $0 += batch }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = clock.now - start
    try await Task.sleep(for: .seconds(options.seconds))
    let after = memory(options.serverPID, "VmRSS")
    let peak = memory(options.serverPID, "VmHWM")
    let all = opened.connections.withLock { $0 }
    var alive = 0
    for connection in all.prefix(100) where (try? await connection.send(.ping)) != nil { alive += 1 }
    print(String(format: "gloss_idle connections=%d opened_in_s=%.1f server_rss_before_mib=%.1f server_rss_mib=%.1f server_peak_mib=%.1f per_connection_kib=%.1f sample_alive=%d/%d",
                 all.count, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, Double(before) / 1024, Double(after) / 1024,
                 Double(peak) / 1024, Double(after - before) / Double(max(1, all.count)), alive, min(100, all.count)))
    for connection in all { await connection.close() }
}

/// Keeps connections busy with pipelined writes and reads and reports throughput and latency.
func load(_ options: Options) async throws {
let documentID = try DocumentID("bench-article")
let text = String(repeating: "Kishida’s visit to 東京 and Washington; Lloyd Austin and Antony Blinken meet. ", count: 40)
let setup = try await connect(options)
let project = try ProjectID(String((try await setup.send(.whoami).reply["roles"] ?? "").split(separator: "=").first ?? "bench"))
_ = try? await setup.send(.putDocument(DocumentUpload(project: project, id: documentID, title: "Bench article", text: text)))
var readable: [AnnotationID] = []
for index in 0..<200 {
    let reply = try await setup.send(.add(NewAnnotation(document: DocumentReference(documentID, in: project), target: .offsets(start: index % 100, end: index % 100 + 9), label: "SEED"))).reply
    readable.append(try AnnotationID(reply["id"]!))
}
let targets = readable
await setup.close()

let connections = try await withThrowingTaskGroup(of: GlossConnection.self) { group in
    for _ in 0..<options.connections { group.addTask { try await connect(options) } }
    var connections: [GlossConnection] = []
    for try await connection in group { connections.append(connection) }
    return connections
}
let recorder = Recorder()
let clock = ContinuousClock()
let start = clock.now
let deadline = start + .milliseconds(Int(options.seconds * 1000))
let workers = options.connections * options.pipeline
let interval: Duration? = options.rate > 0 ? .nanoseconds(Int64(Double(workers) / options.rate * 1e9)) : nil

await withTaskGroup(of: Void.self) { group in
    for (index, connection) in connections.enumerated() {
        for lane in 0..<options.pipeline {
            group.addTask {
                var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
                var errors = 0
                var count = 0
                // Paced workers start spread over one interval and measure from the intended start,
                // so a stall counts against every request it delayed.
                var next = start + (interval.map { $0 * (Double(index * options.pipeline + lane) / Double(workers)) } ?? .zero)
                var sequence = index * 1_000_003 + lane * 7_919
                while clock.now < deadline {
                    if interval != nil {
                        if clock.now < next { try? await Task.sleep(until: next) }
                    } else {
                        next = clock.now
                    }
                    sequence += 1
                    let write = options.mode == "writes" || (options.mode == "mixed" && sequence % 2 == 0)
                    let command: Command = write
                        ? .add(NewAnnotation(document: DocumentReference(documentID, in: project), target: .offsets(start: sequence % 100, end: sequence % 100 + 12), label: "BENCH"))
                        : .get(targets[sequence % targets.count])
                    do {
                        _ = try await connection.send(command, key: write ? "b-\(index)-\(lane)-\(sequence)" : nil)
                        let waited = (clock.now - next).components
                        histogram.record(UInt64(max(0, waited.seconds * 1_000_000 + waited.attoseconds / 1_000_000_000_000)))
                        count += 1
                    } catch {
                        errors += 1
                    }
                    if let interval { next += interval }
                }
                recorder.record(histogram, errors: errors, count: count)
            }
        }
    }
}
let elapsed = clock.now - start
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let (histogram, errors, total) = recorder.result
func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
print(String(format: "gloss_server mode=%@ connections=%d pipeline=%d rate=%.0f ops=%d ops_per_sec=%.0f p50_ms=%.2f p99_ms=%.2f p999_ms=%.2f max_ms=%.2f errors=%d server_rss_mib=%.1f server_peak_mib=%.1f",
             options.mode, options.connections, options.pipeline, options.rate, total, Double(total) / seconds, ms(50), ms(99), ms(99.9),
             Double(histogram.max) / 1000, errors, Double(memory(options.serverPID, "VmRSS")) / 1024, Double(memory(options.serverPID, "VmHWM")) / 1024))
for connection in connections { await connection.close() }
}
