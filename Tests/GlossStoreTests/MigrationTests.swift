import GlossCore
import GlossCoreTesting
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

    @Test("Migration 4 upgrades operations and states written in encoding version 1: they decode, equal and consistent")
    func upgradesEncodingVersion1() async throws {
        var simulation = NetworkSimulator(seed: 5, replicaCount: 2)
        simulation.run(steps: 300)
        simulation.repair()
        let operations = simulation.known[0].values.sorted { $0.dot < $1.dot }
        let states = simulation.replicas[0].annotations.values.sorted { $0.id < $1.id }
        let document = RandomEditor().document
        try await withTestDatabase { database in
            let throughVersion3 = Array(TestDatabase.migrations.prefix(3))
            _ = try await database.withStore(migrate: false) { store in try await store.migrate(migrations: throughVersion3) }
            let text = document.text.text
            try await TestDatabase.adminQuery(database.configuration, "INSERT INTO projects (id) VALUES ('demo')")
            try await TestDatabase.adminQuery(
                database.configuration,
                "INSERT INTO documents (id, project_id, title, body, sha256, code_points) VALUES ('sample', 'demo', 'Sample', \(text), \(document.text.sha256), \(document.text.count))"
            )
            try await TestDatabase.adminQuery(
                database.configuration,
                """
                INSERT INTO operations (origin, counter, hlc, annotation_id, kind, body)
                SELECT o, c, h, a::uuid, k, b FROM unnest(
                    \(operations.map(\.dot.replica.rawValue)), \(operations.map { Int64($0.dot.counter) }),
                    \(operations.map { Int64(bitPattern: $0.timestamp.rawValue) }), \(operations.map(\.annotation.description)),
                    \(operations.map(\.kind)), \(operations.map { ByteBuffer(bytes: Self.version1(of: $0)) })
                ) AS u(o, c, h, a, k, b)
                """
            )
            try await TestDatabase.adminQuery(
                database.configuration,
                """
                INSERT INTO annotations (id, version, change_seq, document_id, created, updated_hlc, state)
                SELECT a::uuid, 1, nextval('annotation_changes'), nullif(d, ''), d <> '', 0, s FROM unnest(
                    \(states.map(\.id.description)), \(states.map { $0.origin?.document.rawValue ?? "" }),
                    \(states.map { ByteBuffer(bytes: Self.version1(of: $0)) })
                ) AS u(a, d, s)
                """
            )
            let (stored, report, readBack) = try await database.withStore { store in
                let stored = try await store.operations(after: VersionVector(), limit: 100_000)
                var readBack: [AnnotationState] = []
                for state in states { readBack.append(try #require(try await store.annotation(state.id))) }
                return (stored, try await store.checkConsistency(), readBack)
            }
            #expect(Set(stored) == Set(operations), "every operation decodes to what was written")
            #expect(readBack == states, "every state decodes to what was written, its project included")
            #expect(report.isConsistent, "\(report)")
            let projects = try await database.count("SELECT count(*) FROM annotations WHERE created AND project_id = 'demo'")
            #expect(projects == states.filter { $0.origin != nil }.count)
        }
    }

    /// The version 1 encoding of an operation: version 2 without the project appended to creates.
    static func version1(of operation: AnnotationOperation) -> [UInt8] {
        var bytes = operation.encoded()
        if case .create(let seed) = operation.payload { bytes.removeLast(1 + seed.project.rawValue.utf8.count) }
        bytes[0] = 1
        return bytes
    }

    /// The version 1 encoding of a state: version 2 without the origin's project at the end.
    static func version1(of state: AnnotationState) -> [UInt8] {
        var bytes = state.encoded()
        if let origin = state.origin { bytes.removeLast(1 + origin.project.rawValue.utf8.count) }
        bytes[0] = 1
        return bytes
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
