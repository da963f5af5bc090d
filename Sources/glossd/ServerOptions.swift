import ArgumentParser
import Foundation
import GlossServer
import GlossStore

/// Where glossd listens and the limits it enforces; each flag also reads a GLOSS_* variable.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (env GLOSS_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env GLOSS_PORT; default 7433).")
    var port: Int?

    @Option(help: "Longest request line in bytes (env GLOSS_MAX_LINE; default 3145728).")
    var maxLine: Int?

    @Option(help: "Largest document text in bytes (env GLOSS_MAX_DOCUMENT; default 1048576).")
    var maxDocument: Int?

    @Option(help: "Requests in flight per connection (env GLOSS_MAX_IN_FLIGHT; default 128).")
    var maxInFlight: Int?

    @Option(help: "Bytes of request lines in flight on one connection before it is no longer read until some finish (env GLOSS_MAX_IN_FLIGHT_BYTES; default 16777216).")
    var maxInFlightBytes: Int?

    @Option(help: "Bytes of answers and events waiting to be written to one connection; past it events drop the subscriber and the connection is not read (env GLOSS_MAX_QUEUED_BYTES; default 16777216).")
    var maxQueuedBytes: Int?

    @Option(help: "Requests of one connection worked on at once; its others wait their turn (env GLOSS_MAX_RUNNING; default 8).")
    var maxRunning: Int?

    @Option(help: "Seconds a new connection has to authenticate (env GLOSS_AUTH_TIMEOUT; default 15).")
    var authTimeout: Int?

    @Option(help: "Seconds of silence before a session is closed (env GLOSS_IDLE_TIMEOUT; default 600).")
    var idleTimeout: Int?

    @Option(help: "Connections held at once (env GLOSS_MAX_CONNECTIONS; default 20000).")
    var maxConnections: Int?

    @Option(help: "Connections from one address (env GLOSS_MAX_CONNECTIONS_PER_ADDRESS; default 1000).")
    var maxConnectionsPerAddress: Int?

    @Option(help: "Failed authentications per address per minute before throttling (env GLOSS_MAX_FAILED_AUTH; default 10).")
    var maxFailedAuth: Int?

    @Option(help: "Subscriptions per connection (env GLOSS_MAX_SUBSCRIPTIONS; default 64).")
    var maxSubscriptions: Int?

    @Option(help: "Exports (gloss export) running at once, each with its own PostgreSQL connection (env GLOSS_MAX_EXPORTS; default 4).")
    var maxExports: Int?

    @Option(help: "Events queued for a subscriber that does not read before it is dropped (env GLOSS_MAX_QUEUED_EVENTS; default 10000).")
    var maxQueuedEvents: Int?

    @Option(help: "Seconds between checks for revoked tokens and changed roles, which open sessions follow within this time (env GLOSS_ACCESS_CHECK; default 5).")
    var accessCheck: Int?

    @Option(help: "Annotation states kept in memory for writes (env GLOSS_CACHE_STATES; default 200000).")
    var cacheStates: Int?

    @Option(help: "Log level: trace, debug, info, notice, warning, error (env GLOSS_LOG_LEVEL; default info).")
    var logLevel: String?

    var listenHost: String { host ?? environment("GLOSS_HOST") ?? "127.0.0.1" }

    func listenPort() throws -> Int {
        try number(port, "GLOSS_PORT", "--port", in: 0...65_535) ?? 7433
    }

    func limits() throws -> ServerLimits {
        var limits = ServerLimits()
        if let value = try number(maxLine, "GLOSS_MAX_LINE", "--max-line", in: 1_024...1 << 30) { limits.maximumLineBytes = value }
        if let value = try number(maxDocument, "GLOSS_MAX_DOCUMENT", "--max-document", in: 1...1 << 30) { limits.maximumDocumentBytes = value }
        if let value = try number(maxInFlight, "GLOSS_MAX_IN_FLIGHT", "--max-in-flight", in: 1...100_000) { limits.maximumInFlight = value }
        if let value = try number(maxRunning, "GLOSS_MAX_RUNNING", "--max-running", in: 1...10_000) { limits.maximumRunningPerConnection = value }
        if let value = try number(maxInFlightBytes, "GLOSS_MAX_IN_FLIGHT_BYTES", "--max-in-flight-bytes", in: 1_024...1 << 34) { limits.maximumInFlightBytes = value }
        if let value = try number(maxQueuedBytes, "GLOSS_MAX_QUEUED_BYTES", "--max-queued-bytes", in: 1_024...1 << 34) { limits.maximumQueuedBytes = value }
        if let value = try number(authTimeout, "GLOSS_AUTH_TIMEOUT", "--auth-timeout", in: 1...86_400) { limits.authenticationTimeout = .seconds(value) }
        if let value = try number(idleTimeout, "GLOSS_IDLE_TIMEOUT", "--idle-timeout", in: 1...604_800) { limits.idleTimeout = .seconds(value) }
        if let value = try number(maxConnections, "GLOSS_MAX_CONNECTIONS", "--max-connections", in: 1...10_000_000) { limits.maximumConnections = value }
        if let value = try number(maxConnectionsPerAddress, "GLOSS_MAX_CONNECTIONS_PER_ADDRESS", "--max-connections-per-address", in: 1...10_000_000) {
            limits.maximumConnectionsPerAddress = value
        }
        if let value = try number(maxFailedAuth, "GLOSS_MAX_FAILED_AUTH", "--max-failed-auth", in: 1...1_000_000) {
            limits.maximumFailedAuthenticationsPerMinute = value
        }
        if let value = try number(maxSubscriptions, "GLOSS_MAX_SUBSCRIPTIONS", "--max-subscriptions", in: 1...100_000) { limits.maximumSubscriptions = value }
        if let value = try number(maxExports, "GLOSS_MAX_EXPORTS", "--max-exports", in: 1...1_000) { limits.maximumExports = value }
        if let value = try number(maxQueuedEvents, "GLOSS_MAX_QUEUED_EVENTS", "--max-queued-events", in: 1...10_000_000) { limits.maximumQueuedEvents = value }
        if let value = try number(accessCheck, "GLOSS_ACCESS_CHECK", "--access-check", in: 1...3_600) { limits.accessCheckInterval = .seconds(value) }
        guard limits.maximumLineBytes > limits.maximumDocumentBytes else {
            throw ValidationError("--max-line (\(limits.maximumLineBytes)) must exceed --max-document (\(limits.maximumDocumentBytes)): a document travels in one line")
        }
        return limits
    }

    func storeOptions() throws -> GlossStore.Options {
        var options = GlossStore.Options()
        if let value = try number(cacheStates, "GLOSS_CACHE_STATES", "--cache-states", in: 1...100_000_000) { options.cacheLimit = value }
        return options
    }

    var level: String { logLevel ?? environment("GLOSS_LOG_LEVEL") ?? "info" }

    private func environment(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }

    private func number(_ flag: Int?, _ variable: String, _ name: String, in range: ClosedRange<Int>) throws -> Int? {
        let value: Int
        if let flag {
            value = flag
        } else if let text = environment(variable) {
            guard let parsed = Int(text) else { throw ValidationError("\(variable)=\(text) is not a whole number") }
            value = parsed
        } else {
            return nil
        }
        guard range.contains(value) else { throw ValidationError("\(name) must be from \(range.lowerBound) to \(range.upperBound), not \(value)") }
        return value
    }
}
