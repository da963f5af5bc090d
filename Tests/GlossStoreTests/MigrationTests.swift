import GlossCore
import GlossStore
import GlossTestSupport
import PostgresNIO
import Testing

@Suite("Migrations", .timeLimit(.minutes(2)))
struct MigrationTests {
    @Test("Migrating an empty database applies every file; running again is a no-op")
    func fromEmpty() async throws {
        try await withTestDatabase { database in
            let first = try await database.withStore(migrate: false) { store in try await store.migrate(migrations: TestDatabase.migrations) }
            #expect(first == Array(1...TestDatabase.migrations.count))
            let second = try await database.withStore(migrate: false) { store in try await store.migrate(migrations: TestDatabase.migrations) }
            #expect(second.isEmpty)
            let recorded = try await database.count("SELECT count(*) FROM schema_migrations")
            let replicas = try await database.count("SELECT count(*) FROM replicas WHERE replica_id = 'test-a'")
            #expect(recorded == TestDatabase.migrations.count)
            #expect(replicas == 1)
        }
    }

    @Test("An applied migration edited afterwards is refused with migration-tampered")
    func tampered() async throws {
        try await withTestDatabase { database in
            _ = try await database.withStore { _ in true }
            var changed = TestDatabase.migrations
            changed[0] = Migration(version: 1, name: changed[0].name, sql: changed[0].sql + "\n-- an innocent edit\n")
            let edited = changed
            await #expect { try await database.withStore(migrate: false) { store in try await store.migrate(migrations: edited) } } throws: {
                ($0 as? StoreError)?.code == .migrationTampered
            }
        }
    }

    @Test("A database newer than this build is refused with database-newer; an older one with schema-outdated")
    func newerAndOlder() async throws {
        try await withTestDatabase { database in
            let older = Array(TestDatabase.migrations.prefix(1))
            _ = try await database.withStore(migrate: false) { store in try await store.migrate(migrations: older) }
            await #expect { try await database.withStore(migrate: false) { store in try await store.verifySchema(migrations: TestDatabase.migrations) } } throws: {
                ($0 as? StoreError)?.code == .schemaOutdated
            }
            _ = try await database.withStore { _ in true }
            await #expect { try await database.withStore(migrate: false) { store in try await store.migrate(migrations: older) } } throws: {
                ($0 as? StoreError)?.code == .databaseNewer
            }
        }
    }

    @Test("A failing migration leaves nothing of itself behind")
    func failingMigrationRollsBack() async throws {
        try await withTestDatabase { database in
            let broken = TestDatabase.migrations + [
                Migration(version: TestDatabase.migrations.count + 1, name: "broken", sql: "CREATE TABLE half_done (x int); SELECT no_such_function();")
            ]
            await #expect(throws: StoreError.self) {
                try await database.withStore(migrate: false) { store in try await store.migrate(migrations: broken) }
            }
            let halfDone = try await database.count("SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'")
            let version = try await database.count("SELECT max(version) FROM schema_migrations")
            #expect(halfDone == 0)
            #expect(version == TestDatabase.migrations.count)
        }
    }

    @Test("The SQL splitter keeps function bodies, quotes and comments whole")
    func splitter() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE t (a text DEFAULT 'x;y');
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;
            /* block; comment */ SELECT "odd;name" FROM t;
            SELECT $tag$ ; $tag$;
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[1].hasSuffix("END $$"))
        #expect(statements[3] == "SELECT $tag$ ; $tag$")
    }
}
