public import Foundation
import Synchronization

/// The project's executables, as built beside the test bundle.
public enum Binaries {
    /// The path of the executable `name` (glossd, gloss) built with the tests.
    public static func path(_ name: String) -> String {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name).path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/debug/\(name)").standardized.path
    }

    /// How long a run may take before it is killed, in seconds: a test that meets a hung
    /// process fails with the process's output, instead of hanging the whole run.
    public static let defaultLimitSeconds: Double = 300

    /// Runs an executable to completion and returns its status, standard output and standard error.
    ///
    /// A process still running after `limitSeconds` gets SIGQUIT, then SIGKILL 5 s later; its status
    /// is then the signal's, and standard error ends with a line saying it was killed.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
        limitSeconds: Double = defaultLimitSeconds
    ) async throws -> (status: Int32, output: String, error: String) {
        try await run(executable: path(name), arguments, environment: environment, input: input, limitSeconds: limitSeconds)
    }

    /// Runs the executable at `executable` to completion and returns its status, standard output and standard error.
    ///
    /// The waiting happens on a thread of its own: tests run many of these at once, and a
    /// wait on one of the few threads that run every test's async code would stall them all.
    public static func run(
        executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
        limitSeconds: Double = defaultLimitSeconds
    ) async throws -> (status: Int32, output: String, error: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result {
                    try runBlocking(executable: executable, arguments, environment: environment, input: input, limitSeconds: limitSeconds)
                })
            }.start()
        }
    }

    private static func runBlocking(
        executable: String, _ arguments: [String], environment: [String: String], input: Data?, limitSeconds: Double
    ) throws -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let (output, error, stdin) = (Pipe(), Pipe(), Pipe())
        process.standardOutput = output
        process.standardError = error
        process.standardInput = stdin
        try process.run()
        if let input { stdin.fileHandleForWriting.write(input) }
        try stdin.fileHandleForWriting.close()
        let exited = Mutex(false)
        let killed = Mutex(false)
        let pid = process.processIdentifier
        Thread {
            let deadline = Date(timeIntervalSinceNow: limitSeconds)
            while !exited.withLock({ $0 }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            guard !exited.withLock({ $0 }) else { return }
            killed.withLock { $0 = true }
            kill(pid, SIGQUIT)
            Thread.sleep(forTimeInterval: 5)
            if !exited.withLock({ $0 }) { kill(pid, SIGKILL) }
        }.start()
        let errorData = Mutex<Data>(Data())
        let reader = Thread { errorData.withLock { $0 = error.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        exited.withLock { $0 = true }
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        var errorText = String(decoding: errorData.withLock { $0 }, as: UTF8.self)
        if killed.withLock({ $0 }) {
            errorText += "\n[killed: \(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.first ?? "") was still running after \(Int(limitSeconds)) s]\n"
        }
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), errorText)
    }
}
