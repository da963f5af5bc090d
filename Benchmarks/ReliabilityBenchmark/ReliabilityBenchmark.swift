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
import BenchmarkSupport
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
        var first = 1
        if arguments.count > 1, !arguments[1].hasPrefix("--") {
            mode = arguments[1]
            first = 2
        }
        readOptions(arguments, skipping: first) { name, value in
            switch name {
            case "--host": host = value
            case "--port": port = Int(value)!
            case "--ca-file": caFile = value
            case "--token": token = value
            case "--project": project = value
            case "--seconds": seconds = Double(value)!
            case "--minutes": minutes = Int(value)!
            case "--rate": rate = Double(value)!
            case "--writers": writers = Int(value)!
            case "--subscribers": subscribers = Int(value)!
            case "--server-pid": serverPID = Int32(value)!
            default: return false
            }
            return true
        }
    }

    /// An authenticated connection.
    func connect() async throws -> GlossConnection {
        let connection = try await GlossConnection.connect(host: host, port: port, trust: .certificateAuthority(path: caFile))
        _ = try await connection.send(.auth(token: token))
        return connection
    }
}

/// Milliseconds of a duration.
func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}
