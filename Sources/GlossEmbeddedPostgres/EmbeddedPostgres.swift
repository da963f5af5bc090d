import Foundation

/// A private PostgreSQL cluster in a folder of its own, for `glossd dev`, the
/// demo and the tests: created on first use, listening on a free loopback
/// port (the same one again after a restart, when it is still free) (and a Unix socket inside the folder), reused while it runs, stopped
/// cleanly.
///
/// PostgreSQL refuses to run as root, so when this process is root the
/// cluster belongs to an unprivileged user (`postgres`, created if missing)
/// and every server program runs as that user.
public struct EmbeddedPostgres: Sendable {
    /// How to reach a running cluster.
    public struct Endpoint: Sendable, Hashable {
        /// Always the loopback address.
        public let host: String
        /// The TCP port.
        public let port: Int
        /// The superuser role (trust authentication on loopback only).
        public let username: String
        /// The folder holding the server's Unix socket.
        public let socketFolder: String

        /// `postgres://username@host:port/database`.
        public func url(database: String) -> String { "postgres://\(username)@\(host):\(port)/\(database)" }
    }

    /// The folder that holds the cluster (`data/`), its socket (`socket/`) and its log (`postgres.log`).
    public let folder: String
    /// Whether commits wait for the disk (fsync and synchronous_commit on). Leave on
    /// for anything measured; tests may turn it off for speed.
    public let durable: Bool
    /// The superuser role created in the cluster.
    public let username = "gloss"

    /// A cluster in `folder` (created on ``start()`` if it does not exist).
    public init(folder: String, durable: Bool = true) {
        self.folder = URL(fileURLWithPath: folder).standardized.path
        self.durable = durable
    }

    var dataFolder: String { folder + "/data" }
    var socketFolder: String { folder + "/socket" }
    var logFile: String { folder + "/postgres.log" }
    /// The port the cluster last listened on; a restart takes it again when it is free.
    var portFile: String { folder + "/port" }

    /// The account that owns and runs the cluster when this process is root.
    var serverUser: String? { geteuid() == 0 ? "postgres" : nil }

    /// Creates the cluster if needed and starts it unless it already runs; returns where it listens.
    @discardableResult
    public func start() throws -> Endpoint {
        let binaries = try PostgresBinaries.locate()
        try prepareFolder()
        if !FileManager.default.fileExists(atPath: dataFolder + "/PG_VERSION") {
            try initialize(binaries)
        }
        if let running = try runningEndpoint(binaries) { return running }
        let previous = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let port = try previous.flatMap { FreePort.isFree($0) ? $0 : nil } ?? FreePort.find()
        let options = [
            "-c port=\(port)", "-c listen_addresses=127.0.0.1", "-c unix_socket_directories=\(socketFolder)",
            "-c max_connections=300", "-c fsync=\(durable ? "on" : "off")",
            "-c synchronous_commit=\(durable ? "on" : "off")", "-c full_page_writes=\(durable ? "on" : "off")",
        ].joined(separator: " ")
        let started = try ProcessRunner.run(
            binaries.path("pg_ctl"), ["-D", dataFolder, "-l", logFile, "-w", "-t", "60", "-o", options, "start"], as: serverUser
        )
        guard started.succeeded else {
            let log = (try? String(contentsOfFile: logFile, encoding: .utf8)) ?? ""
            throw EmbeddedPostgresError("PostgreSQL did not start in \(folder)", output: started.output + "\n" + String(log.suffix(3_000)))
        }
        try? String(port).write(toFile: portFile, atomically: true, encoding: .utf8)
        return endpoint(port: port)
    }

    /// Where the cluster listens, if it is running.
    public func status() throws -> Endpoint? {
        try runningEndpoint(try PostgresBinaries.locate(installIfMissing: false))
    }

    /// Stops the cluster if it runs (fast shutdown: sessions are ended, commits are kept).
    public func stop() throws {
        guard FileManager.default.fileExists(atPath: dataFolder + "/PG_VERSION") else { return }
        let binaries = try PostgresBinaries.locate(installIfMissing: false)
        guard try runningEndpoint(binaries) != nil else { return }
        let stopped = try ProcessRunner.run(binaries.path("pg_ctl"), ["-D", dataFolder, "-m", "fast", "-w", "-t", "60", "stop"], as: serverUser)
        guard stopped.succeeded else { throw EmbeddedPostgresError("PostgreSQL in \(folder) did not stop", output: stopped.output) }
    }

    /// Creates a database unless it exists.
    public func createDatabase(_ name: String) throws {
        let binaries = try PostgresBinaries.locate(installIfMissing: false)
        guard let endpoint = try runningEndpoint(binaries) else { throw EmbeddedPostgresError("the cluster in \(folder) is not running") }
        let created = try ProcessRunner.run(
            binaries.path("createdb"), ["-h", endpoint.host, "-p", String(endpoint.port), "-U", username, name]
        )
        guard created.succeeded || created.output.contains("already exists") else {
            throw EmbeddedPostgresError("could not create database \(name)", output: created.output)
        }
    }

    /// Stops the cluster and deletes its folder.
    public func destroy() throws {
        try stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func endpoint(port: Int) -> Endpoint {
        Endpoint(host: "127.0.0.1", port: port, username: username, socketFolder: socketFolder)
    }

    private func runningEndpoint(_ binaries: PostgresBinaries) throws -> Endpoint? {
        guard FileManager.default.fileExists(atPath: dataFolder + "/PG_VERSION") else { return nil }
        let status = try ProcessRunner.run(binaries.path("pg_ctl"), ["-D", dataFolder, "status"], as: serverUser)
        guard status.succeeded, let pidFile = try? String(contentsOfFile: dataFolder + "/postmaster.pid", encoding: .utf8) else {
            return nil
        }
        // postmaster.pid: pid, data folder, start time, port, socket folder, listen address, …
        let lines = pidFile.split(separator: "\n", omittingEmptySubsequences: false)
        guard lines.count > 3, let port = Int(lines[3].trimmingCharacters(in: .whitespaces)) else { return nil }
        return endpoint(port: port)
    }

    private func prepareFolder() throws {
        try FileManager.default.createDirectory(atPath: socketFolder, withIntermediateDirectories: true)
        guard let user = serverUser else { return }
        try ensureUserExists(user)
        let owned = try ProcessRunner.run("/bin/chown", ["-R", "\(user):", folder])
        guard owned.succeeded else { throw EmbeddedPostgresError("could not give \(folder) to the \(user) account", output: owned.output) }
        let reachable = try ProcessRunner.run("/usr/bin/test", ["-w", folder], as: user)
        guard reachable.succeeded else {
            throw EmbeddedPostgresError(
                "the \(user) account cannot reach \(folder) (a parent folder is private); choose a folder under /tmp"
            )
        }
    }

    private func ensureUserExists(_ user: String) throws {
        guard getpwnam(user) == nil else { return }
        let added = try ProcessRunner.run("/usr/sbin/useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user])
        guard added.succeeded else { throw EmbeddedPostgresError("could not create the \(user) account", output: added.output) }
    }

    private func initialize(_ binaries: PostgresBinaries) throws {
        let created = try ProcessRunner.run(
            binaries.path("initdb"),
            ["-D", dataFolder, "-U", username, "--auth=trust", "-E", "UTF8", "--no-locale", "--no-instructions"],
            as: serverUser
        )
        guard created.succeeded else { throw EmbeddedPostgresError("initdb failed in \(dataFolder)", output: created.output) }
    }
}
