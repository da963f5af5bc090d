import Foundation
public import GlossCore
import GlossEmbeddedPostgres
public import GlossStore
import Logging
public import PostgresNIO

/// A fresh database for one test, in the cluster named by `GLOSS_TEST_DATABASE_URL`
/// (scripts/test starts one) or, when that is unset, in a private cluster under
/// /tmp that the tests start and reuse.
public struct TestDatabase: Sendable {
    /// The test database.
    public let configuration: DatabaseConfiguration
    /// The cluster's `postgres` database.
    public let admin: DatabaseConfiguration

    /// A handle on an existing database.
    public init(configuration: DatabaseConfiguration, admin: DatabaseConfiguration) {
        self.configuration = configuration
        self.admin = admin
    }

    /// The migrations of this checkout's Schema folder.
    public static let migrations: [Migration] = {
        let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schema").standardized
        return try! Migration.load(from: schema)
    }()

    /// The cluster's `postgres` database, for creating and dropping test databases.
    public static func adminConfiguration() throws -> DatabaseConfiguration {
        if let url = ProcessInfo.processInfo.environment["GLOSS_TEST_DATABASE_URL"] {
            var configuration = try DatabaseConfiguration(url: url)
            configuration.database = "postgres"
            return configuration
        }
        // Tests run in parallel (and in several processes): one starts the cluster, the others wait for it.
        let lock = open("/tmp/gloss-swift-test-cluster.lock", O_CREAT | O_RDWR, 0o644)
        flock(lock, LOCK_EX)
        defer {
            flock(lock, LOCK_UN)
            close(lock)
        }
        let cluster = EmbeddedPostgres(folder: "/tmp/gloss-swift-test-cluster", durable: false)
        let endpoint = try cluster.start()
        return DatabaseConfiguration(host: endpoint.host, port: endpoint.port, username: endpoint.username, database: "postgres")
    }

    /// Creates an empty database with a unique name.
    public static func create() async throws -> TestDatabase {
        let admin = try adminConfiguration()
        let name = "gloss_test_\(UInt64.random(in: 0...UInt64.max) % 1_000_000_000_000)"
        try await adminQuery(admin, PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        var configuration = admin
        configuration.database = name
        configuration.maximumConnections = 16
        return TestDatabase(configuration: configuration, admin: admin)
    }

    /// Runs one statement on the admin database.
    public static func adminQuery(_ admin: DatabaseConfiguration, _ query: PostgresQuery) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: .init(host: admin.host, port: admin.port, username: admin.username, password: admin.password, database: admin.database, tls: .disable),
            id: 1, logger: Logger(label: "test.admin")
        )
        defer { Task { try? await connection.close() } }
        _ = try await connection.query(query, logger: Logger(label: "test.admin")).collect()
    }

    /// The database as a URL, for the glossd binary.
    public var url: String {
        "postgres://\(configuration.username)@\(configuration.host):\(configuration.port)/\(configuration.database)"
    }

    /// Writes the database to a plain SQL file with `pg_dump` (a backup).
    public func dump(to file: String) async throws {
        let pgDump = try PostgresBinaries.locate(installIfMissing: false).path("pg_dump")
        let result = try await Binaries.run(executable: pgDump, ["--no-owner", "--file", file, "--dbname", url])
        guard result.status == 0 else { throw ServerTestError("pg_dump failed: \(result.error)") }
    }

    /// Replaces the database with the contents of a `pg_dump` file (a restore from backup).
    public func restore(from file: String) async throws {
        await drop()
        try await Self.adminQuery(admin, PostgresQuery(unsafeSQL: "CREATE DATABASE \(configuration.database)"))
        try await load(file)
    }

    /// A new database holding a copy of a `pg_dump` file (a database copied to start another site).
    public static func copy(of file: String) async throws -> TestDatabase {
        let database = try await create()
        try await database.load(file)
        return database
    }

    private func load(_ file: String) async throws {
        let psql = try PostgresBinaries.locate(installIfMissing: false).path("psql")
        let result = try await Binaries.run(executable: psql, ["--quiet", "--set", "ON_ERROR_STOP=1", "--file", file, "--dbname", url])
        guard result.status == 0 else { throw ServerTestError("psql failed: \(result.error)") }
    }

    /// Drops the database (ending its sessions).
    public func drop() async {
        try? await Self.adminQuery(admin, PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(configuration.database) WITH (FORCE)"))
    }

    /// Runs `body` with a migrated store writing as `replica`, then shuts the store down.
    public func withStore<Result: Sendable>(
        replica: String = "test-a", options: GlossStore.Options = GlossStore.Options(), migrate: Bool = true,
        _ body: @Sendable @escaping (GlossStore) async throws -> Result
    ) async throws -> Result {
        var logger = Logger(label: "test.store")
        logger.logLevel = .error
        let store = GlossStore(database: configuration, replica: try ReplicaID(replica), options: options, logger: logger)
        return try await store.withRunning { store in
            if migrate { try await store.migrate(migrations: Self.migrations) }
            return try await body(store)
        }
    }

    /// Runs a query on this test database and returns the first column of the first row as an integer.
    public func count(_ sql: String) async throws -> Int {
        let connection = try await PostgresConnection.connect(
            configuration: .init(
                host: configuration.host, port: configuration.port, username: configuration.username, password: nil,
                database: configuration.database, tls: .disable
            ),
            id: 2, logger: Logger(label: "test.count")
        )
        defer { Task { try? await connection.close() } }
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test.count")).decode(Int64.self) {
            return Int(value)
        }
        return 0
    }
}

/// Runs `body` with a fresh database and drops it afterwards.
public func withTestDatabase<Result: Sendable>(_ body: (TestDatabase) async throws -> Result) async throws -> Result {
    let database = try await TestDatabase.create()
    do {
        let result = try await body(database)
        await database.drop()
        return result
    } catch {
        await database.drop()
        throw error
    }
}

/// A document for store tests.
public let sampleDocument = try! Document(
    id: DocumentID("article"), project: ProjectID("news"), title: "Article",
    text: "Japan and the United States will hold security talks. Kishida’s visit to Washington follows; café vs cafe\u{301}."
)
