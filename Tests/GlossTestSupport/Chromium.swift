public import Foundation

/// Headless Chromium, for reading the HTML report as a browser does: `GLOSS_TEST_CHROMIUM`,
/// else `chromium` on PATH (scripts/test installs Debian's package when it is missing).
public enum Chromium {
    /// Renders `file` headless with `arguments` added (`--dump-dom`, `--screenshot=PATH`);
    /// returns its exit status and standard output.
    public static func run(_ file: URL, _ arguments: [String]) throws -> (status: Int32, output: Data) {
        let process = Process()
        let binary = ProcessInfo.processInfo.environment["GLOSS_TEST_CHROMIUM"] ?? "chromium"
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        process.arguments = [
            binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=\(profile.path)",
        ] + arguments + [file.absoluteString]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, printed)
    }
}
