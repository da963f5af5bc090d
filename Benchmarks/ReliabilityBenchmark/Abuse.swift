import BenchmarkSupport
import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Synchronization

/// What the abusers got back, by reply code.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func add(_ code: String) { counts.withLock { $0[code, default: 0] += 1 } }

    var text: String {
        counts.withLock { counts in counts.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ",") }
    }
}

/// Runs the probe alone, then beside each abuse scenario, and prints one line per scenario.
func runAbuse(_ options: BenchOptions) async throws {
    let scenarios: [(String, @Sendable (BenchOptions, Tally) async -> Void)] = [
        ("baseline", { _, _ in }),
        ("junk-lines", junkLines), ("slow-loris", slowLoris), ("connection-flood", connectionFlood),
        ("pipelining", pipelining), ("token-guessing", tokenGuessing),
    ]
    for (name, abuse) in scenarios {
        let latencies = Latencies()
        let tally = Tally()
        let probe = Task { await runProbe(options, into: latencies) }
        let abusers = Task { await abuse(options, tally) }
        try await Task.sleep(for: .seconds(options.seconds))
        abusers.cancel()
        probe.cancel()
        await abusers.value
        await probe.value
        let result = latencies.take()
        print(String(
            format: "abuse scenario=%@ probe_rounds=%llu probe_failures=%d probe_p50_ms=%.2f probe_p99_ms=%.2f probe_max_ms=%.2f abusers_got=%@",
            name, result.count, result.failures, result.p50, result.p99, result.max, tally.text.isEmpty ? "-" : tally.text
        ))
    }
}

/// The probe: PING, ADD by offsets, GET of what it added, in a loop; each round trip recorded.
func runProbe(_ options: BenchOptions, into latencies: Latencies) async {
    guard let connection = try? await options.connect() else {
        latencies.fail()
        return
    }
    let document = DocumentReference(try! DocumentID(options.document), in: try! ProjectID(options.project))
    var index = 0
    while !Task.isCancelled {
        index += 1
        for step in 0..<3 {
            let started = ContinuousClock.now
            do {
                switch step {
                case 0: _ = try await connection.send(.ping)
                case 1: _ = try await connection.send(.add(NewAnnotation(document: document, target: .offsets(start: index % 50, end: index % 50 + 5), note: "probe")))
                default: _ = try await connection.send(.list(AnnotationQuery(project: document.project, documents: [document.id], limit: 1)))
                }
                latencies.record(microseconds: UInt64(milliseconds(ContinuousClock.now - started) * 1_000))
            } catch {
                latencies.fail()
            }
        }
        try? await Task.sleep(for: .milliseconds(5))
    }
    await connection.close()
}

/// Reads the reply codes a raw client got (`ERR code`, `BYE code`) into the tally.
func count(_ client: RawTLSClient, replies: Int, into tally: Tally) async {
    for _ in 0..<replies {
        guard let line = try? await client.readLine() else {
            tally.add("closed")
            return
        }
        let words = line.split(separator: " ")
        if words.count > 2, words[1] == "ERR" || words[1] == "BYE" { tally.add(String(words[2])) } else if words.count > 1 { tally.add(String(words[1])) }
    }
}

/// Two clients that authenticate, send a 2,000,000-byte junk line and hang up without reading, in a loop.
func junkLines(_ options: BenchOptions, _ tally: Tally) async {
    let junk = Array("a AUTH token=\(options.token)\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 2_000_000) + [0x0A]
    await withDiscardingTaskGroup { group in
        for _ in 0..<2 {
            group.addTask {
                while !Task.isCancelled {
                    guard let client = try? await RawTLSClient.connect(host: options.host, port: options.port) else { continue }
                    if (try? await client.write(junk)) != nil { tally.add("sent") }
                    await client.close()
                }
            }
        }
    }
}

/// 200 connections that each send a partial line one byte every 100 ms and never finish it.
func slowLoris(_ options: BenchOptions, _ tally: Tally) async {
    await withDiscardingTaskGroup { group in
        for _ in 0..<200 {
            group.addTask {
                guard let client = try? await RawTLSClient.connect(host: options.host, port: options.port) else {
                    tally.add("connect-failed")
                    return
                }
                tally.add("open")
                while !Task.isCancelled {
                    guard (try? await client.write([UInt8(ascii: "a")])) != nil else {
                        tally.add("closed-by-server")
                        break
                    }
                    try? await Task.sleep(for: .milliseconds(100))
                }
                await client.close()
            }
        }
    }
}

/// Four lanes opening TLS connections and closing them at once, as fast as they go.
func connectionFlood(_ options: BenchOptions, _ tally: Tally) async {
    await withDiscardingTaskGroup { group in
        for _ in 0..<4 {
            group.addTask {
                while !Task.isCancelled {
                    do {
                        let connection = try await GlossConnection.connect(host: options.host, port: options.port, trust: .certificateAuthority(path: options.caFile))
                        tally.add("connected")
                        await connection.close()
                    } catch {
                        tally.add((error as? ClientError)?.code ?? "error")
                    }
                }
            }
        }
    }
}

/// Four connections each sending 2,000 LIST requests in one write, then reading every reply.
func pipelining(_ options: BenchOptions, _ tally: Tally) async {
    let burst = Array("a AUTH token=\(options.token)\n".utf8) + Array((0..<2_000).map { "p\($0) LIST project=\(options.project) limit=1\n" }.joined().utf8)
    await greetedLanes(4, options) { client in
        try? await client.write(burst)
        await count(client, replies: 2_001, into: tally)
    }
}

/// Four lanes trying random tokens, each on a fresh connection.
func tokenGuessing(_ options: BenchOptions, _ tally: Tally) async {
    await greetedLanes(4, options) { client in
        let guess = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        try? await client.write(Array("g AUTH token=gloss_\(Int.random(in: 1...1_000))_\(guess)\n".utf8))
        await count(client, replies: 1, into: tally)
    }
}

/// `lanes` loops, each connecting, reading the greeting, running `body` and closing, until cancelled.
func greetedLanes(_ lanes: Int, _ options: BenchOptions, _ body: @escaping @Sendable (RawTLSClient) async -> Void) async {
    await withDiscardingTaskGroup { group in
        for _ in 0..<lanes {
            group.addTask {
                while !Task.isCancelled {
                    guard let client = try? await RawTLSClient.connect(host: options.host, port: options.port) else { continue }
                    _ = try? await client.readLine()
                    await body(client)
                    await client.close()
                }
            }
        }
    }
}
