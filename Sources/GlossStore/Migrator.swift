public import Logging
public import PostgresNIO

/// Applies the numbered SQL files of `Schema/` in order, each in its own
/// transaction, recording each with its checksum in `schema_migrations`.
///
/// Refuses to run when a recorded migration's checksum differs from its file
/// (someone edited a migration that was already applied) or when the database
/// holds migrations this build does not know (it is newer than the binary).
public struct Migrator: Sendable {
    /// The migrations this build ships.
    public let migrations: [Migration]

    /// A migrator for `migrations`, usually `Migration.load(from: Migration.defaultFolder())`.
    public init(migrations: [Migration]) { self.migrations = migrations }

    /// A migration recorded in the database.
    public struct Applied: Sendable, Hashable {
        /// Its number.
        public let version: Int
        /// Its checksum when applied.
        public let checksum: String
    }

    private static let lockKey: Int64 = 0x676C_6F73_735F_6D67

    /// Applies every pending migration and returns the versions applied (empty when up to date).
    public func migrate(_ client: PostgresClient, logger: Logger) async throws(StoreError) -> [Int] {
        do {
            return try await client.withConnection { connection in
                _ = try await connection.wholeResult("SELECT pg_advisory_lock(\(Self.lockKey))", logger: logger)
                do {
                    let applied = try await self.prepare(connection, logger: logger)
                    var done: [Int] = []
                    for migration in migrations where migration.version > applied.count {
                        try await connection.withTransaction(logger: logger) { connection in
                            for statement in SQLScript.statements(migration.sql) {
                                _ = try await connection.wholeResult(PostgresQuery(unsafeSQL: statement), logger: logger)
                            }
                            _ = try await connection.wholeResult(
                                "INSERT INTO schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                                logger: logger
                            )
                        }
                        logger.info("applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
                        done.append(migration.version)
                    }
                    _ = try await connection.wholeResult("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    return done
                } catch {
                    _ = try? await connection.wholeResult("SELECT pg_advisory_unlock(\(Self.lockKey))", logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.unwrap(error, doing: "migrating the schema")
        }
    }

    /// Checks that the database is at exactly this build's schema.
    ///
    /// - Throws: ``StoreError/Code/schemaOutdated`` when migrations are pending,
    ///   ``StoreError/Code/migrationTampered`` or ``StoreError/Code/databaseNewer``.
    public func verify(_ client: PostgresClient, logger: Logger) async throws(StoreError) {
        do {
            let applied = try await client.withConnection { connection in try await self.prepare(connection, logger: logger) }
            if applied.count < migrations.count {
                throw StoreError(
                    .schemaOutdated,
                    "the database schema is at version \(applied.count) but this build needs \(migrations.count); run `glossd migrate`"
                )
            }
        } catch {
            throw Self.unwrap(error, doing: "checking the schema")
        }
    }

    /// Creates the bookkeeping table if needed, reads what is applied and checks it against the files.
    private func prepare(_ connection: PostgresConnection, logger: Logger) async throws -> [Applied] {
        _ = try await connection.wholeResult(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now())
            """,
            logger: logger
        )
        var applied: [Applied] = []
        for row in try await connection.wholeResult("SELECT version, checksum FROM schema_migrations ORDER BY version", logger: logger) {
            let (version, checksum) = try row.decode((Int, String).self)
            applied.append(Applied(version: version, checksum: checksum))
        }
        if let newest = applied.last, newest.version > migrations.count {
            throw StoreError(
                .databaseNewer,
                "the database is at schema version \(newest.version), newer than this build (\(migrations.count)); run a newer glossd"
            )
        }
        for record in applied {
            let file = migrations[record.version - 1]
            if file.checksum != record.checksum {
                throw StoreError(
                    .migrationTampered,
                    "migration \(record.version) (\(file.name)) was changed after it was applied (recorded checksum \(record.checksum.prefix(12))…, file \(file.checksum.prefix(12))…); restore the original file and add a new migration instead"
                )
            }
        }
        return applied
    }

    private static func unwrap(_ error: any Error, doing what: String) -> StoreError {
        if let transaction = error as? PostgresTransactionError {
            if let closure = transaction.closureError { return StoreError.from(closure, doing: what) }
            if let begin = transaction.beginError { return StoreError.from(begin, doing: what) }
            if let commit = transaction.commitError { return StoreError.from(commit, doing: what) }
        }
        return StoreError.from(error, doing: what)
    }
}
