import ArgumentParser
import Foundation
import GlossExportFiles
import GlossServer
import GlossStore
import Logging
import ServiceLifecycle
import UnixSignals

/// `glossd serve`: the line protocol over TLS.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Gloss line protocol over TLS.",
        discussion: """
            Checks the database schema, listens, and serves until SIGTERM or SIGINT,
            then stops accepting, finishes requests in flight and closes sessions.

            Example:
              glossd serve --database-url postgres://gloss@db/gloss --replica-id tokyo \\
                --certificate /etc/gloss/server.pem --key /etc/gloss/server-key.pem \\
                --host 0.0.0.0
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var server: ServerOptions
    @OptionGroup var replication: ReplicationOptions

    @Option(help: "PEM certificate chain of the server (env GLOSS_TLS_CERT).")
    var certificate: String?

    @Option(help: "PEM private key of the server (env GLOSS_TLS_KEY).")
    var key: String?

    @Flag(help: "Apply pending migrations at start instead of refusing an outdated schema.")
    var migrate = false

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let certificate = certificate ?? environment["GLOSS_TLS_CERT"], let key = key ?? environment["GLOSS_TLS_KEY"] else {
            throw ValidationError("give the TLS certificate and key: --certificate FILE --key FILE (or GLOSS_TLS_CERT, GLOSS_TLS_KEY); `glossd dev` makes development ones")
        }
        let (port, limits) = (try server.listenPort(), try server.limits())
        var configuration: ServerConfiguration
        do {
            configuration = ServerConfiguration(
                host: server.listenHost, port: port, tls: try ServerConfiguration.tlsConfiguration(certificateFile: certificate, keyFile: key), limits: limits
            )
        } catch {
            throw ValidationError(error.description)
        }
        configuration.replication = try replication.settings(certificateFile: certificate, keyFile: key, limits: limits)
        let (host, site) = (configuration.host, configuration.replication?.site)
        try await runServer(configuration, store: store, server: server, migrate: migrate) { port in
            say("glossd: listening on \(host):\(port)")
            if let site { say("glossd: replicating as site \(site)") }
        }
    }
}

/// Opens the store, checks (or migrates) the schema, and serves until a signal
/// asks to stop. `ready` runs once the server listens.
func runServer(
    _ configuration: ServerConfiguration, store options: StoreOptions, server: ServerOptions, migrate: Bool,
    ready: @escaping @Sendable (Int) async throws -> Void
) async throws {
    raiseOpenFileLimit()
    var logger = Logger(label: "glossd")
    logger.logLevel = Logger.Level(rawValue: server.level) ?? .info
    let migrations = try options.migrations()
    var storeOptions = try server.storeOptions()
    storeOptions.identityWait = configuration.replication?.identityWait
    let store = GlossStore(database: try options.database(), replica: try options.replica(), options: storeOptions, logger: logger)
    let glossServer = GlossServer(configuration: configuration, store: store, logger: logger)
    let group = ServiceGroup(
        configuration: .init(
            services: [.init(service: store.client), .init(service: glossServer), .init(service: ReadyNotifier(server: glossServer, store: store, migrations: migrations, migrate: migrate, ready: ready))],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
    )
    do {
        try await group.run()
    } catch let error as StoreError {
        throw fail(error)
    } catch let error as ServerSetupError {
        StandardError.write("glossd: \(error)\n")
        throw ExitCode(78)
    }
}

/// Checks the schema once the pool runs, reports the port once listening, then waits for shutdown.
private struct ReadyNotifier: Service {
    let server: GlossServer
    let store: GlossStore
    let migrations: [Migration]
    let migrate: Bool
    let ready: @Sendable (Int) async throws -> Void

    func run() async throws {
        try await store.ping()
        if migrate {
            try await store.migrate(migrations: migrations)
        } else {
            try await store.verifySchema(migrations: migrations)
        }
        try await store.pruneRequestKeys(olderThan: .seconds(7 * 86_400))
        let port = try await server.waitUntilListening()
        try await ready(port)
        try? await gracefulShutdown()
    }
}

/// Writes a line to standard output at once (not held in a buffer when stdout is a pipe).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
