import ArgumentParser
import GlossStore

/// `glossd migrate`: applies pending schema migrations.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending schema migrations from the Schema folder, in order.",
        discussion: """
            Each migration runs in its own transaction and is recorded with a checksum.
            A migration edited after it was applied, or a database newer than this
            glossd, is refused. Running it again when up to date changes nothing.
            """
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let migrations = try store.migrations()
        do {
            let applied = try await store.withStore { store in try await store.migrate(migrations: migrations) }
            print(applied.isEmpty
                ? "schema is up to date (version \(migrations.count))"
                : "applied migrations \(applied.map(String.init).joined(separator: ", ")); schema is at version \(migrations.count)")
        } catch let error as StoreError {
            throw fail(error)
        }
    }
}
