import Foundation

/// The PostgreSQL server programs: found on PATH or under
/// `/usr/lib/postgresql/<version>/bin`, newest version first, and installed
/// from the system's `postgresql` package when missing and running as root.
public struct PostgresBinaries: Sendable {
    /// The folder holding `initdb`, `pg_ctl`, `postgres` and `createdb`.
    public let folder: String

    /// The path of one program.
    public func path(_ program: String) -> String { "\(folder)/\(program)" }

    /// Finds the binaries, installing the `postgresql` package through apt-get
    /// when none are found, `installIfMissing` is set and this process is root.
    public static func locate(installIfMissing: Bool = true) throws -> PostgresBinaries {
        if let found = search() { return found }
        guard installIfMissing, geteuid() == 0, let aptGet = ProcessRunner.which("apt-get") else {
            throw EmbeddedPostgresError(
                "PostgreSQL's server programs (initdb, pg_ctl) were not found on PATH or under /usr/lib/postgresql/*/bin; install the postgresql package"
            )
        }
        let environment = ProcessInfo.processInfo.environment.merging(["DEBIAN_FRONTEND": "noninteractive"]) { $1 }
        _ = try ProcessRunner.run(aptGet, ["update", "-qq"], environment: environment)
        let install = try ProcessRunner.run(aptGet, ["install", "-y", "-qq", "postgresql"], environment: environment)
        guard install.succeeded, let found = search() else {
            throw EmbeddedPostgresError("installing the postgresql package with apt-get failed", output: install.output)
        }
        return found
    }

    private static func search() -> PostgresBinaries? {
        if let initdb = ProcessRunner.which("initdb"), ProcessRunner.which("pg_ctl") != nil {
            let resolved = URL(fileURLWithPath: initdb).resolvingSymlinksInPath().deletingLastPathComponent().path
            if FileManager.default.isExecutableFile(atPath: resolved + "/pg_ctl") { return PostgresBinaries(folder: resolved) }
        }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { Int($0) }.sorted(by: >)
        for version in versions {
            let folder = "\(root)/\(version)/bin"
            if FileManager.default.isExecutableFile(atPath: folder + "/initdb"), FileManager.default.isExecutableFile(atPath: folder + "/pg_ctl") {
                return PostgresBinaries(folder: folder)
            }
        }
        return nil
    }
}
