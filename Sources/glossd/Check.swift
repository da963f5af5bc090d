import ArgumentParser
import GlossStore

/// `glossd check`: rebuilds every annotation from the operation log and compares.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild every annotation from the operation log and compare it with the stored state.",
        discussion: "Exits 0 when everything matches, 1 when anything differs (the differences are listed)."
    )

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let migrations = try store.migrations()
        do {
            let report = try await store.withStore { store in
                try await store.verifySchema(migrations: migrations, registering: false)
                return try await store.checkConsistency()
            }
            print(report)
            if !report.isConsistent { throw ExitCode(1) }
        } catch let error as StoreError {
            throw fail(error)
        }
    }
}
