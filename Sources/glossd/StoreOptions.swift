import ArgumentParser
import Foundation
import GlossExportFiles
import GlossCore
import GlossStore
import Logging

/// The flags every command that opens the database shares.
struct StoreOptions: ParsableArguments {
    @Option(help: "PostgreSQL URL postgres://user[:password]@host[:port]/database (env GLOSS_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "This server's stable replica id: letters, digits, '.', '_' or '-'; used by serve, dev and migrate, ignored by the other commands (env GLOSS_REPLICA_ID; default: the host name).")
    var replicaID: String?

    @Option(help: "The folder of numbered SQL migrations (env GLOSS_SCHEMA_DIR; default: the Schema folder shipped with glossd).")
    var schemaDir: String?

    @Flag(help: "Log debug detail.")
    var verbose = false

    func database() throws -> DatabaseConfiguration {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["GLOSS_DATABASE_URL"] else {
            throw usage("say which database: --database-url postgres://user@host:port/database or GLOSS_DATABASE_URL")
        }
        do {
            return try DatabaseConfiguration(url: url)
        } catch {
            throw usage(error.message)
        }
    }

    func replica() throws -> ReplicaID {
        let raw = replicaID ?? ProcessInfo.processInfo.environment["GLOSS_REPLICA_ID"] ?? ProcessInfo.processInfo.hostName
        do {
            return try ReplicaID(raw)
        } catch {
            throw ValidationError(error.message + " (set --replica-id)")
        }
    }

    func migrations() throws -> [Migration] {
        let folder = schemaDir.map { URL(fileURLWithPath: $0) } ?? Migration.defaultFolder()
        do {
            return try Migration.load(from: folder)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func logger(_ label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = verbose ? .debug : .warning
        return logger
    }

    /// Opens the store, runs `body` with it, and closes the connections.
    func withStore<Result: Sendable>(_ body: @Sendable @escaping (GlossStore) async throws -> Result) async throws -> Result {
        try await GlossStore(database: try database(), replica: try replica(), logger: logger("glossd.store")).withRunning { store in
            try await store.ping()
            return try await body(store)
        }
    }
}

/// Prints a usage problem found while running (not while parsing flags) and
/// returns exit status 64, without repeating the whole usage line.
func usage(_ message: String) -> ExitCode {
    StandardError.write("glossd: \(message)\n")
    return ExitCode(64)
}

/// Ends the process with a clear message and an exit code for a store error.
func fail(_ error: StoreError) -> ExitCode {
    StandardError.write("glossd: \(error)\n")
    return error.isRetryable ? ExitCode(69) : ExitCode(65)
}
