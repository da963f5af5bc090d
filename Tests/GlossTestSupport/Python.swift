public import Foundation

/// Python with the outside readers of the export formats (csv, pyld, bratly):
/// `GLOSS_TEST_PYTHON`, which scripts/test sets up, else `python3` on PATH.
public enum Python {
    /// Runs `script` with `arguments`; returns its exit status, standard output and standard error.
    public static func run(_ script: String, _ arguments: [String] = []) throws -> (status: Int32, output: Data, error: String) {
        let process = Process()
        if let python = ProcessInfo.processInfo.environment["GLOSS_TEST_PYTHON"] {
            process.executableURL = URL(fileURLWithPath: python)
            process.arguments = ["-c", script] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script] + arguments
        }
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-python-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let printed = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let error = String(decoding: (try? Data(contentsOf: errorFile)) ?? Data(), as: UTF8.self)
        return (process.terminationStatus, printed, error)
    }

    /// The W3C Web Annotation context bundled with the repository (Samples/w3c).
    public static var annotationContextFile: String {
        let testsFolder = #filePath.split(separator: "/").dropLast(3).joined(separator: "/")
        return "/" + testsFolder + "/Samples/w3c/anno.jsonld"
    }
}
