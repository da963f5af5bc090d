import ArgumentParser
import Foundation
import GlossExportFiles
import GlossEmbeddedPostgres

/// `glossd postgres`: a private PostgreSQL cluster in a folder, for development and tests.
struct Postgres: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage a private PostgreSQL cluster in a folder (for development, demos and tests).",
        discussion: """
            The cluster listens on a free loopback port with trust authentication for
            the role 'gloss'. As root, it runs as the unprivileged 'postgres' account,
            so choose a folder that account can reach (for example under /tmp).
            If PostgreSQL is not installed and glossd runs as root, it is installed
            with apt-get.
            """,
        subcommands: [Start.self, Stop.self, Status.self]
    )

    struct FolderOption: ParsableArguments {
        @Option(help: "The folder holding the cluster.")
        var folder: String
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create the cluster if needed, start it unless it runs, and print its URL.")

        @OptionGroup var location: FolderOption

        @Option(help: "Databases to create if missing.")
        var database: [String] = ["gloss"]

        @Flag(help: "Turn fsync and synchronous commit off (faster tests; never for benchmarks).")
        var nonDurable = false

        func run() throws {
            let cluster = EmbeddedPostgres(folder: location.folder, durable: !nonDurable)
            try reportingFailure {
                let endpoint = try cluster.start()
                for name in database { try cluster.createDatabase(name) }
                print(endpoint.url(database: database.first ?? "postgres"))
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the cluster (fast shutdown); with --remove, delete its folder too.")

        @OptionGroup var location: FolderOption

        @Flag(help: "Delete the folder after stopping.")
        var remove = false

        func run() throws {
            let cluster = EmbeddedPostgres(folder: location.folder)
            try reportingFailure {
                if remove { try cluster.destroy() } else { try cluster.stop() }
            }
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the cluster's URL if it runs; exit 3 if it does not.")

        @OptionGroup var location: FolderOption

        func run() throws {
            guard let endpoint = try EmbeddedPostgres(folder: location.folder).status() else {
                print("not running")
                throw ExitCode(3)
            }
            print(endpoint.url(database: "gloss"))
        }
    }
}

/// Runs `body`; a failure is printed and ends glossd with exit status 69 (unavailable).
private func reportingFailure(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch {
        StandardError.write("glossd: \(error)\n")
        throw ExitCode(69)
    }
}
