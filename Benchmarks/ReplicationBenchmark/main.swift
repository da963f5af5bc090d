// gloss-replication-bench: the numbers behind docs/PERFORMANCE.md's replication rows.
//
//   seed    --database-url URL --operations N --annotations M --documents D
//           writes N operations (M annotations over D documents, each created then
//           relabelled) into a site's database as replica "seed", in batches.
//   catchup --database-url URL_OF_THE_EMPTY_SITE --operations N --server-pid PID
//           [--port P --ca-file F --token T --rate R]
//           waits until the empty site holds N operations and reports operations per
//           second and the receiving glossd's peak memory; with --port, writes to the
//           other site at R per second meanwhile and reports their latency.
//   live    --port-a P --port-c P --ca-file F --token-a T --token-c T --rate R --seconds S
//           writes R annotations per second at site A and reports how long each takes
//           to reach a subscriber at site C (through B).
import BenchmarkSupport
import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossStore
import Logging
import Synchronization

let arguments = CommandLine.arguments
guard arguments.count >= 2 else { fatalError("usage: gloss-replication-bench seed|catchup|live --name value …") }
let options: [String: String] = {
    var found: [String: String] = [:]
    readOptions(arguments, skipping: 2) { name, value in
        found[String(name.dropFirst(2))] = value
        return true
    }
    return found
}()
@Sendable func option(_ name: String) -> String {
    guard let value = options[name] else { fatalError("--\(name) is needed") }
    return value
}
@Sendable func number(_ name: String, _ fallback: Int? = nil) -> Int {
    guard let text = options[name] else { return fallback ?? { fatalError("--\(name) is needed") }() }
    guard let value = Int(text) else { fatalError("--\(name) takes a number") }
    return value
}
@Sendable func now() -> ContinuousClock.Instant { ContinuousClock.now }
@Sendable func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }

let logger: Logger = {
    var logger = Logger(label: "gloss-replication-bench")
    logger.logLevel = .error
    return logger
}()

switch arguments[1] {
case "seed": try await seed()
case "catchup": try await catchUp()
case "live": try await live()
default: fatalError("unknown mode \(arguments[1]): seed, catchup or live")
}

/// The `seed` mode.
func seed() async throws {
    let (total, annotations, documents) = (number("operations"), number("annotations"), number("documents"))
    let database = try DatabaseConfiguration(url: option("database-url"))
    let started = now()
    try await GlossStore(database: database, replica: try ReplicaID("seed"), logger: logger).withRunning { store in
        let project = try ProjectID("bench")
        try? await store.addProject(project, title: "Benchmark")
        var texts: [Document] = []
        for index in 0..<documents {
            let text = (0..<40).map { "Sentence \($0) of document \(index) names Kishida and Washington." }.joined(separator: " ")
            let document = try Document(id: DocumentID("doc-\(index)"), project: project, title: "Document \(index)", text: text)
            try await store.putDocument(document)
            texts.append(document)
        }
        var replica = Replica(id: try ReplicaID("seed"))
        var batch: [AnnotationOperation] = []
        let perAnnotation = annotations == 0 ? 0 : max(1, total / annotations)
        var made = 0
        for index in 0..<(perAnnotation == 0 ? 0 : annotations) {
            let document = texts[index % documents]
            let id = AnnotationID(high: UInt64(index + 1), low: 42)
            let seed = AnnotationSeed(
                project: project, document: document.id, span: try document.text.span(quoting: "Kishida", occurrence: index % 40 + 1), label: "L0"
            )
            let millisecond = UInt64(Date().timeIntervalSince1970 * 1000)
            batch.append(try replica.perform(.create(seed), on: id, by: "seed", wallClockMilliseconds: millisecond))
            for edit in 1..<perAnnotation {
                batch.append(try replica.perform(.set(.label("L\(edit)")), on: id, by: "seed", wallClockMilliseconds: millisecond))
            }
            if batch.count >= 1_000 {
                try await store.apply(batch)
                made += batch.count
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty {
            try await store.apply(batch)
            made += batch.count
        }
        print("seeded \(made) operations (\(annotations) annotations over \(documents) documents) in \(String(format: "%.1f", seconds(now() - started))) s")
    }
}

/// The `catchup` mode.
func catchUp() async throws {
    let expected = number("operations")
    let database = try DatabaseConfiguration(url: option("database-url"))
    let pid = Int32(number("server-pid"))
    let latencies = Latencies()
    let writing = Box(true)
    let started = now()
    let writer: Task<Void, Never>? = options["port"].map { _ in
        Task {
            guard let connection = try? await GlossConnection.connect(
                host: "127.0.0.1", port: number("port"), trust: .certificateAuthority(path: option("ca-file"))
            ), (try? await connection.send(.auth(token: option("token")))) != nil else { return }
            let interval = Duration.seconds(1) / number("rate", 100)
            var next = now()
            var index = 0
            while writing.withLock({ $0 }) {
                let target = NewAnnotation(
                    document: DocumentReference(try! DocumentID("doc-\(index % 100)"), in: try! ProjectID("bench")),
                    target: .offsets(start: 0, end: 8), label: "LIVE"
                )
                let sent = now()
                do {
                    _ = try await connection.send(.add(target))
                    let took = now() - sent
                    let elapsed = now() - next
                    latencies.record(microseconds: UInt64(max(0, seconds(max(elapsed, took)) * 1e6)))
                    if took > .milliseconds(500) {
                        print(String(format: "slow write at +%.1f s: %.0f ms", seconds(sent - started), seconds(took) * 1000))
                    }
                } catch {
                    latencies.fail()
                }
                index += 1
                next += interval
                if next > now() { try? await Task.sleep(until: next) }
            }
            await connection.close()
        }
    }
    var (held, peakKiB) = try await GlossStore(database: database, replica: try ReplicaID("observer"), logger: logger).withRunning { store in
        var peak = 0
        var lastReport = now()
        while true {
            peak = max(peak, memory(pid, "VmRSS"))
            let vector = try await store.versionVector()
            let held = Int(vector.entries.first { $0.replica.rawValue == "seed" }?.counter ?? 0)
            if held >= expected { return (held, peak) }
            if now() - lastReport >= .seconds(5) {
                lastReport = now()
                print(String(format: "  +%.0f s: %d operations received", seconds(lastReport - started), held))
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
    let elapsed = seconds(now() - started)
    writing.withLock { $0 = false }
    await writer?.value
    peakKiB = max(peakKiB, memory(pid, "VmHWM"))
    print(String(format: "catch-up: %d operations in %.1f s = %.0f operations/s; receiving glossd peak RSS %.0f MiB", held, elapsed, Double(held) / elapsed, Double(peakKiB) / 1024))
    if writer != nil {
        let result = latencies.take()
        print(String(format: "writes at the sending site meanwhile: %llu, p50 %.2f ms, p99 %.2f ms, max %.2f ms, %d failed", result.count, result.p50, result.p99, result.max, result.failures))
    }
}

/// The `live` mode.
func live() async throws {
    let trust = ServerTrust.certificateAuthority(path: option("ca-file"))
    let (rate, duration) = (number("rate", 1_000), number("seconds", 10))
    let subscriber = try await GlossConnection.connect(host: "127.0.0.1", port: number("port-c"), trust: trust)
    _ = try await subscriber.send(.auth(token: option("token-c")))
    _ = try await subscriber.send(.subscribe(.project(try ProjectID("bench"))))
    let sentAt = Box<[AnnotationID: ContinuousClock.Instant]>([:])
    let latencies = Latencies()
    let received = Box(0)
    let listener = Task {
        for await event in subscriber.events where event.change == "create" {
            let arrived = now()
            if let sent = sentAt.withLock({ $0.removeValue(forKey: event.annotation.id) }) {
                latencies.record(microseconds: UInt64(seconds(arrived - sent) * 1e6))
                received.withLock { $0 += 1 }
            }
        }
    }
    let writers = 8
    let interval = Duration.seconds(1) / (rate / writers)
    let end = now() + .seconds(duration)
    let failures = Box(0)
    await withTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                guard let connection = try? await GlossConnection.connect(host: "127.0.0.1", port: number("port-a"), trust: trust),
                    (try? await connection.send(.auth(token: option("token-a")))) != nil
                else { return }
                var next = now() + interval * Double(writer) / Double(writers)
                var index = writer
                while next < end {
                    if next > now() { try? await Task.sleep(until: next) }
                    let target = NewAnnotation(
                        document: DocumentReference(try! DocumentID("doc-\(index % 100)"), in: try! ProjectID("bench")), target: .offsets(start: 0, end: 8),
                        label: "LIVE"
                    )
                    let sent = now()
                    do {
                        let reply = try await connection.send(.add(target)).reply
                        if let text = reply["id"], let id = try? AnnotationID(text) {
                            // The clock starts when the write was sent; an event can arrive before its reply.
                            sentAt.withLock { $0[id] = sent }
                        }
                    } catch {
                        failures.withLock { $0 += 1 }
                    }
                    index += writers
                    next += interval
                }
                await connection.close()
            }
        }
    }
    try await Task.sleep(for: .seconds(5))
    listener.cancel()
    let result = latencies.take()
    print(
        String(
            format: "live A→B→C: %llu events at %d writes/s, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms; %d writes failed, %d not seen at C",
            result.count, rate, result.p50, result.p95, result.p99, result.max, failures.withLock { $0 }, sentAt.withLock { $0.count }
        )
    )
    await subscriber.close()
}

/// Shared state for the tasks of one mode.
final class Box<Value: Sendable>: Sendable {
    private let state: Mutex<Value>
    init(_ value: Value) { state = Mutex(value) }
    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { state.withLock { body(&$0) } }
}
