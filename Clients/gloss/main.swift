import ArgumentParser
import Foundation
import GlossExportFiles
import GlossClient

// Arguments must be UTF-8: anything else would be stored with U+FFFD in place of
// its bytes, silently. Refuse it before parsing.
for (index, argument) in UnsafeBufferPointer(start: CommandLine.unsafeArgv, count: Int(CommandLine.argc)).enumerated().dropFirst() {
    guard let argument, String(validatingCString: argument) == nil else { continue }
    StandardError.write("gloss: argument \(index) is not valid UTF-8; give text in UTF-8 (a file with gloss doc add)\n")
    exit(64)
}
await Gloss.runAsynchronously()

extension AsyncParsableCommand {
    /// Parses and runs the command as ArgumentParser's asynchronous entry point does (from inside
    /// the protocol, so the async `run` is the one called), but prints its messages with control
    /// characters escaped: a parse error quotes what was typed, which may hold terminal escapes.
    static func runAsynchronously() async {
        do {
            var command = try await asyncParseAsRoot(nil)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            let message = TerminalText.block(fullMessage(for: error))
            if code == .success {
                if !message.isEmpty { print(message) }
            } else if !message.isEmpty {
                StandardError.write(message + "\n")
            }
            Foundation.exit(code.rawValue)
        }
    }
}
