public import Foundation
public import GlossClient
public import GlossCore
import GlossProtocol
import GlossServer
import GlossStore
public import Synchronization

/// A real `glossd serve` process on a test database, with development
/// certificates, a project `news` holding `sampleDocument`, a project `secret`
/// holding `hidden`, an empty project `other`, and users with each role (`max`
/// reads both `news` and `other`). Several may run at once, each on its own
/// database with its own replica id: the sites of a replication test.
public final class ServerProcess: Sendable {
    public let database: TestDatabase
    public let folder: URL
    public let port: Int
    public let tokens: [String: String]
    /// The site's replica id.
    public let replica: String
    private let arguments: [String]
    /// The running glossd and what it prints; replaced by ``relaunch()``. Earlier outputs are kept for ``log``.
    private let running: Mutex<(process: Process, outputs: [LogBuffer])>

    /// Roles given on every server: (user, project, role); a user may have roles in several projects.
    public static let users: [(String, String, Role)] = [
        ("ana", "news", .analyst), ("ben", "news", .analyst), ("rita", "news", .reader), ("rev", "news", .reviewer), ("sam", "secret", .admin),
        ("olga", "other", .analyst), ("max", "news", .reader), ("max", "other", .reader),
    ]

    public var caFile: String { folder.appendingPathComponent("ca.pem").path }

    private init(
        database: TestDatabase, folder: URL, port: Int, tokens: [String: String], replica: String, arguments: [String], process: Process, output: LogBuffer
    ) {
        self.database = database
        self.replica = replica
        self.folder = folder
        self.port = port
        self.tokens = tokens
        self.arguments = arguments
        running = Mutex((process, [output]))
    }

    /// Starts glossd as replica `replica` with `arguments` added to `serve` and waits until it listens.
    /// `certificates` writes `ca.pem`, `server.pem` and `server-key.pem` into the server's folder
    /// (development ones by default; ``SiteCluster/certificates(for:)`` for a replicating site).
    /// With `existingTokens`, the database is used as it is (restored or copied, users included) and those tokens are kept.
    public static func start(
        _ database: TestDatabase, replica: String = "server-test", arguments: [String] = [],
        existingTokens: [String: String]? = nil, certificates: ((URL) throws -> Void)? = nil
    ) async throws -> ServerProcess {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-server-test-\(UUID().uuidString)")
        if let certificates {
            try certificates(folder)
        } else {
            try DevelopmentCertificates.make().write(to: folder)
        }
        let migrated = try await Binaries.run("glossd", ["migrate", "--database-url", database.url, "--replica-id", replica])
        guard migrated.status == 0 else { throw ServerTestError("glossd migrate failed: \(migrated.error)") }
        let tokens = try await existingTokens.asyncOr { try await Self.seed(database, replica: replica) }
        let (process, output, port) = try await launch(database, folder: folder, port: 0, replica: replica, arguments: arguments)
        return ServerProcess(
            database: database, folder: folder, port: port, tokens: tokens, replica: replica, arguments: arguments, process: process, output: output
        )
    }

    /// Creates the projects, documents and users every test server has; returns the users' tokens.
    private static func seed(_ database: TestDatabase, replica: String) async throws -> [String: String] {
        try await database.withStore(replica: replica, migrate: false) { store in
            try await store.addProject(try ProjectID("news"), title: "News")
            try await store.addProject(try ProjectID("secret"), title: "Secret")
            try await store.addProject(try ProjectID("other"), title: "Other")
            try await store.putDocument(sampleDocument)
            try await store.putDocument(try Document(id: DocumentID("hidden"), project: ProjectID("secret"), title: "Hidden", text: "secret text"))
            var tokens: [String: String] = [:]
            for (name, project, role) in users {
                if tokens[name] == nil {
                    try await store.addUser(name)
                    tokens[name] = try await store.issueToken(for: name)
                }
                try await store.grant(role, to: name, in: try ProjectID(project))
            }
            return tokens
        }
    }

    /// Starts another glossd on this one's database, as replica `replica`, with the
    /// same certificates and tokens (several processes sharing one PostgreSQL).
    public func sibling(replica: String, arguments: [String]) async throws -> ServerProcess {
        let copy = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-server-test-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: folder, to: copy)
        let (process, output, port) = try await Self.launch(database, folder: copy, port: 0, replica: replica, arguments: arguments)
        return ServerProcess(database: database, folder: copy, port: port, tokens: tokens, replica: replica, arguments: arguments, process: process, output: output)
    }

    /// Runs `glossd serve` and waits until it listens; returns it with its output and port.
    private static func launch(
        _ database: TestDatabase, folder: URL, port: Int, replica: String, arguments: [String]
    ) async throws -> (Process, LogBuffer, Int) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Binaries.path("glossd"))
        process.arguments = [
            "serve", "--database-url", database.url, "--replica-id", replica, "--port", String(port), "--log-level", "warning",
            "--certificate", folder.appendingPathComponent("server.pem").path, "--key", folder.appendingPathComponent("server-key.pem").path,
        ] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = LogBuffer(collecting: pipe)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let text = output.text.withLock { $0 }
            if let range = text.range(of: "listening on 127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits), text[range.upperBound...].dropFirst(digits.count).first == "\n" {
                    return (process, output, port)
                }
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServerTestError("glossd did not start listening: \(output.text.withLock { $0 })")
    }

    /// Everything glossd printed so far, over every launch.
    public var log: String { running.withLock { $0.outputs.map { $0.text.withLock { $0 } }.joined() } }

    private var process: Process { running.withLock { $0.process } }

    /// glossd's process id.
    public var pid: Int32 { process.processIdentifier }

    /// glossd's resident memory now, in MiB (from /proc).
    public var residentMiB: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return 0 }
        return kib / 1024
    }

    /// Sends SIGTERM and waits for the exit status (up to `limit`).
    public func stop(within limit: Duration = .seconds(20)) async -> Int32? {
        let process = process
        guard process.isRunning else { return process.terminationStatus }
        Glibc.kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + limit
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    /// Kills glossd with SIGKILL, as a crash or a power cut would, and waits until it is gone.
    public func kill() async {
        let process = process
        guard process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(10)) }
    }

    /// Starts glossd again on the same port and database (after ``stop(within:)`` or ``kill()``).
    public func relaunch() async throws {
        var lastError: (any Error)?
        for _ in 0..<20 {
            do {
                let (process, output, _) = try await Self.launch(database, folder: folder, port: port, replica: replica, arguments: arguments)
                running.withLock { running in
                    running.process = process
                    running.outputs.append(output)
                }
                return
            } catch {
                lastError = error
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        throw lastError ?? ServerTestError("glossd did not start again")
    }

    /// A TLS connection trusting the test CA, not yet authenticated.
    public func connect() async throws -> GlossConnection {
        try await GlossConnection.connect(host: "127.0.0.1", port: port, trust: .certificateAuthority(path: caFile))
    }

    /// A connection authenticated as `user`.
    public func connect(as user: String) async throws -> GlossConnection {
        let connection = try await connect()
        _ = try await connection.send(.auth(token: tokens[user]!))
        return connection
    }

    /// Runs `body` with a server on a fresh database, then stops it and drops the database.
    public static func with<Result: Sendable>(arguments: [String] = [], _ body: (ServerProcess) async throws -> Result) async throws -> Result {
        try await withTestDatabase { database in
            let server = try await start(database, arguments: arguments)
            do {
                let result = try await body(server)
                _ = await server.stop()
                try? FileManager.default.removeItem(at: server.folder)
                return result
            } catch {
                _ = await server.stop()
                try? FileManager.default.removeItem(at: server.folder)
                throw error
            }
        }
    }
}

/// A test precondition that failed, with what was seen.
public struct ServerTestError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// What a child process printed, collected by a reader thread.
public final class LogBuffer: Sendable {
    public let text = Mutex("")

    /// Collects everything written to `pipe` until it closes.
    public init(collecting pipe: Pipe) {
        Thread { [self] in
            while true {
                let data = pipe.fileHandleForReading.availableData
                if data.isEmpty { return }
                text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }.start()
    }
}

extension Optional {
    /// The value, or what `fallback` makes when there is none.
    func asyncOr(_ fallback: () async throws -> Wrapped) async rethrows -> Wrapped {
        if let value = self { return value }
        return try await fallback()
    }
}
