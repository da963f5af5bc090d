// gloss-reliability-bench: what other clients see while glossd is abused, and a
// soak test; prints figures, asserts nothing (the tests assert correctness).
//
//   abuse: a probe session (PING, ADD, GET) runs alone, then beside each abuse in
//   turn (2 MB junk lines from clients that hang up, slow-loris connections, a
//   connection flood, pipelining past the limit, token guessing); per scenario it
//   prints what the abusers got back and the probe's p50/p99/max latency.
//   soak: writers at a steady total rate with subscribers following the project,
//   for some minutes; per minute, latency percentiles and events; glossd's memory
//   at the start and the end.
import Foundation
import GlossClient
import GlossProtocol

@main
struct ReliabilityBenchmark {
    static func main() async throws {
        let options = BenchOptions(CommandLine.arguments)
        raiseFileLimit()
        switch options.mode {
        case "abuse": try await runAbuse(options)
        case "soak": try await runSoak(options)
        default: fatalError("the mode is abuse or soak, not \(options.mode)")
        }
    }
}

/// Command-line options.
struct BenchOptions: Sendable {
    var mode = "abuse"
    var host = "127.0.0.1"
    var port = 7433
    var caFile = ""
    var token = ""
    var project = "bench"
    var document = "bench-article"
    var seconds = 20.0
    var minutes = 10
    var rate = 100.0
    var writers = 8
    var subscribers = 10
    var serverPID: Int32 = 0

    init(_ arguments: [String]) {
        var index = 1
        if index < arguments.count, !arguments[index].hasPrefix("--") {
            mode = arguments[index]
            index += 1
        }
        func value() -> String {
            index += 1
            guard index < arguments.count else { fatalError("\(arguments[index - 1]) needs a value") }
            return arguments[index]
        }
        while index < arguments.count {
            switch arguments[index] {
            case "--host": host = value()
            case "--port": port = Int(value())!
            case "--ca-file": caFile = value()
            case "--token": token = value()
            case "--project": project = value()
            case "--seconds": seconds = Double(value())!
            case "--minutes": minutes = Int(value())!
            case "--rate": rate = Double(value())!
            case "--writers": writers = Int(value())!
            case "--subscribers": subscribers = Int(value())!
            case "--server-pid": serverPID = Int32(value())!
            default: fatalError("unknown argument \(arguments[index])")
            }
            index += 1
        }
    }

    /// An authenticated connection.
    func connect() async throws -> GlossConnection {
        let connection = try await GlossConnection.connect(host: host, port: port, trust: .certificateAuthority(path: caFile))
        _ = try await connection.send(.auth(token: token))
        return connection
    }
}

/// A value from /proc/PID/status, in KiB (0 when unknown).
func memory(_ pid: Int32, _ field: String) -> Int {
    guard pid > 0, let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix(field + ":") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
    }
    return 0
}

func raiseFileLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

/// Milliseconds of a duration.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}
