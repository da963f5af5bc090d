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

    /// Runs an executable to completion and returns its status, standard output and standard error.
    public static func run(
        _ name: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil
    ) async throws -> (status: Int32, output: String, error: String) {
        try await run(executable: path(name), arguments, environment: environment, input: input)
    }

    /// Runs the executable at `executable` to completion and returns its status, standard output and standard error.
    ///
    /// The waiting happens on a thread of its own: tests run many of these at once, and a
    /// wait on one of the few threads that run every test's async code would stall them all.
    public static func run(
        executable: String, _ arguments: [String], environment: [String: String] = [:], input: Data? = nil
    ) async throws -> (status: Int32, output: String, error: String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try runBlocking(executable: executable, arguments, environment: environment, input: input) })
            }.start()
        }
    }

    private static func runBlocking(
        executable: String, _ arguments: [String], environment: [String: String], input: Data?
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
        let errorData = Mutex<Data>(Data())
        let reader = Thread { errorData.withLock { $0 = error.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while reader.isExecuting || !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return (process.terminationStatus, String(decoding: outputData, as: UTF8.self), String(decoding: errorData.withLock { $0 }, as: UTF8.self))
    }
}
