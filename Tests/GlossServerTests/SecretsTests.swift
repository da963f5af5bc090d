import Foundation
import GlossClient
import GlossServer
import GlossTestSupport
import Testing

/// No secret (a database password, a token) appears in an error, a log line or `--help`.
@Suite("Secrets stay out of output", .timeLimit(.minutes(3)))
struct SecretsTests {
    static let password = "s3cret-Pa55word"

    /// Database URLs that carry the password and fail in every way glossd can tell apart.
    static let urls = [
        "postgres://gloss:\(password)@127.0.0.1:notaport/gloss",
        "postgres://gloss:\(password)@127.0.0.1/",
        "postgresql://gloss:\(password)@[::1/gloss",
        "mysql://gloss:\(password)@127.0.0.1/gloss",
        "postgres://gloss:\(password)@127.0.0.1:1/gloss?sslmode=require",
        "postgres://gloss:\(password)%zz@127.0.0.1:1/gloss",
        "postgres://gloss:\(password)@127.0.0.1:1/gloss",
    ]

    @Test("A malformed or unreachable database URL is never printed with its password, from a flag or the environment")
    func databasePasswords() async throws {
        let folder = NSTemporaryDirectory() + "gloss-secrets-\(UUID().uuidString)"
        try DevelopmentCertificates.make().write(to: URL(fileURLWithPath: folder))
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let serve = ["serve", "--certificate", folder + "/server.pem", "--key", folder + "/server-key.pem", "--port", "0", "--log-level", "trace"]
        for url in Self.urls {
            for command in [["migrate"], ["check", "--verbose"], ["user", "list"], serve] {
                let flagged = try await Binaries.run("glossd", command + ["--database-url", url, "--replica-id", "x"])
                let fromEnvironment = try await Binaries.run("glossd", command + ["--replica-id", "x"], environment: ["GLOSS_DATABASE_URL": url])
                for result in [flagged, fromEnvironment] {
                    let printed = result.output + result.error
                    #expect(result.status != 0, "\(command) \(url)")
                    #expect(!printed.isEmpty, "a failure says something")
                    #expect(!printed.contains(Self.password), "glossd \(command.first!) printed the password: \(printed)")
                }
            }
        }
    }

    @Test("--help never shows a secret from the environment")
    func help() async throws {
        let environment = ["GLOSS_DATABASE_URL": "postgres://gloss:\(Self.password)@db/gloss", "GLOSS_PROFILE": Self.password]
        let commands = [[], ["serve"], ["dev"], ["migrate"], ["check"], ["user"], ["user", "add"], ["project", "add"], ["postgres", "start"]]
        for command in commands {
            let result = try await Binaries.run("glossd", command + ["--help"], environment: environment)
            #expect(result.status == 0 && !(result.output + result.error).contains(Self.password), "glossd \(command) --help")
        }
        for command in [[], ["login"], ["add"], ["sync"], ["pending"]] {
            let result = try await Binaries.run("gloss", command + ["--help"], environment: environment)
            #expect(!(result.output + result.error).contains(Self.password), "gloss \(command) --help")
        }
    }

    @Test("A token is never printed in the client's errors nor in glossd's log, even at debug level")
    func tokens() async throws {
        try await ServerProcess.with(arguments: ["--log-level", "debug"]) { server in
            let config = NSTemporaryDirectory() + "gloss-secrets-\(UUID().uuidString)/config.json"
            let wrong = "gloss_1_" + String(repeating: "ab", count: 32)
            let good = server.tokens["ana"]!
            let secretPart = String(good.split(separator: "_").last!)
            let attempts = [
                try await Binaries.run("gloss", ["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", wrong], environment: ["GLOSS_CONFIG": config]),
                try await Binaries.run("gloss", ["login", "--server", "127.0.0.1:1", "--ca-file", server.caFile, "--token", good], environment: ["GLOSS_CONFIG": config]),
                try await Binaries.run("gloss", ["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", "nonsense-\(secretPart)"], environment: ["GLOSS_CONFIG": config]),
            ]
            for attempt in attempts {
                #expect(attempt.status != 0)
                let printed = attempt.output + attempt.error
                #expect(!printed.contains(String(wrong.suffix(64))) && !printed.contains(secretPart), "\(printed)")
            }
            let connection = try await server.connect()
            _ = await BadInputTests.code(connection, "a1 AUTH token=\(wrong)", tag: "a1")
            _ = await BadInputTests.code(connection, "a2 AUTH token=\(good) extra=1", tag: "a2")
            await connection.close()
            _ = await server.stop()
            #expect(server.log.contains("failed authentication"), "the debug log was written")
            #expect(!server.log.contains(String(wrong.suffix(64))) && !server.log.contains(secretPart), "\(server.log)")
        }
    }
}
