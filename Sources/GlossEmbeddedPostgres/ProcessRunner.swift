import Foundation

/// Runs a command to completion and captures what it printed.
///
/// Uses `posix_spawn` and `waitpid` directly: Foundation's `Process` notices
/// a child's exit through a descriptor the child inherits, so a command that
/// leaves a daemon behind (`pg_ctl start`) would never be seen to finish.
enum ProcessRunner {
    /// The result of a finished command.
    struct Outcome {
        let status: Int32
        let output: String
        var succeeded: Bool { status == 0 }
    }

    /// Runs `executable` with `arguments`; as `user` (through `runuser`) when given.
    static func run(_ executable: String, _ arguments: [String], as user: String? = nil, environment: [String: String]? = nil) throws -> Outcome {
        let argv = user.map { ["/usr/sbin/runuser", "-u", $0, "--", executable] } ?? [executable]
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-run-\(UUID().uuidString).log").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)

        let environmentList = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let allArguments = argv + arguments
        var pid: pid_t = 0
        let spawned = withCStrings(allArguments) { argumentPointers in
            withCStrings(environmentList) { environmentPointers in
                posix_spawn(&pid, argv[0], &actions, nil, argumentPointers, environmentPointers)
            }
        }
        guard spawned == 0 else {
            throw EmbeddedPostgresError("could not start \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw EmbeddedPostgresError("lost track of \(argv[0])") }
        }
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Outcome(status: exitCode, output: output)
    }

    /// The full path of `name` on PATH, if any.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in path.split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Calls `body` with a NULL-terminated array of C strings.
    private static func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
