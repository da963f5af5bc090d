import ArgumentParser
import Foundation

// Arguments must be UTF-8: anything else would be stored with U+FFFD in place of
// its bytes, silently. Refuse it before parsing.
for (index, argument) in UnsafeBufferPointer(start: CommandLine.unsafeArgv, count: Int(CommandLine.argc)).enumerated().dropFirst() {
    guard let argument, String(validatingCString: argument) == nil else { continue }
    FileHandle.standardError.write(Data("gloss: argument \(index) is not valid UTF-8; give text in UTF-8 (a file with gloss doc add)\n".utf8))
    exit(64)
}
await Gloss.runAsynchronously()

extension AsyncParsableCommand {
    /// ArgumentParser's asynchronous entry point (from inside the protocol, so the async overload is the one called).
    static func runAsynchronously() async {
        await main(nil)
    }
}
