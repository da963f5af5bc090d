import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import PostgresNIO
import Testing

/// The real `glossd` binary against a real database.
@Suite("glossd commands", .timeLimit(.minutes(2)))
struct GlossdCommandTests {
    /// Runs glossd and returns its exit status and everything it printed.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let result = try Binaries.run("glossd", arguments)
        return (result.status, result.output + result.error)
    }

    @Test("migrate, migrate again, check; a corrupted row makes check exit 1; an unreachable database exits 69")
    func migrateAndCheck() async throws {
        try await withTestDatabase { database in
            let common = ["--database-url", database.url, "--replica-id", "cli-test"]
            let first = try Self.run(["migrate"] + common)
            #expect(first.status == 0 && first.output.contains("applied migrations 1, 2, 3"), "\(first.output)")
            let again = try Self.run(["migrate"] + common)
            #expect(again.status == 0 && again.output.contains("up to date"), "\(again.output)")

            let (operations, _) = WriteTests.simulatedOperations(seed: 3, steps: 200)
            try await database.withStore(migrate: false) { store in try await store.apply(operations) }
            let clean = try Self.run(["check"] + common)
            #expect(clean.status == 0 && clean.output.contains("consistent"), "\(clean.output)")

            try await TestDatabase.adminQuery(
                database.configuration,
                "UPDATE annotations SET state = (SELECT state FROM annotations ORDER BY id LIMIT 1) WHERE id = (SELECT id FROM annotations ORDER BY id DESC LIMIT 1)"
            )
            let corrupted = try Self.run(["check"] + common)
            #expect(corrupted.status == 1 && corrupted.output.contains("mismatch"), "\(corrupted.output)")

            let unreachable = try Self.run(["check", "--database-url", "postgres://gloss@127.0.0.1:1/gloss", "--replica-id", "x"])
            #expect(unreachable.status == 69 && unreachable.output.contains("unavailable"), "\(unreachable.output)")

            let badURL = try Self.run(["check", "--database-url", "mysql://nope", "--replica-id", "x"])
            #expect(badURL.status != 0 && badURL.output.contains("postgres://"), "\(badURL.output)")
        }
    }
}
