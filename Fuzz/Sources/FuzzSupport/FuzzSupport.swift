import CFuzzerDriver

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What libFuzzer calls with each input: its bytes (`nil` when empty) and their count.
/// Returns 0; libFuzzer reserves other values.
public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Hands the process to libFuzzer: parses its flags and corpus folders from the
/// command line, then runs `test` on every input until a time or run limit, or a crash.
///
/// On Linux the process first runs itself again with Swift's crash backtracer off
/// (`SWIFT_BACKTRACE=enable=no`, read only at start-up): when both handle a trap, the
/// backtracer's helper outlives the fuzzer holding its output open, and AddressSanitizer
/// reports false positives, while libFuzzer alone prints the stack and saves the input.
public func runFuzzer(_ test: FuzzTest) -> Never {
    #if os(Linux)
    if getenv("SWIFT_BACKTRACE") == nil {
        setenv("SWIFT_BACKTRACE", "enable=no", 1)
        execv("/proc/self/exe", CommandLine.unsafeArgv)
    }
    #endif
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}

/// The input bytes as a buffer (empty when libFuzzer passes no pointer).
public func inputBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeBufferPointer<UInt8> {
    UnsafeBufferPointer(start: size > 0 ? data : nil, count: size > 0 ? size : 0)
}

/// Stops the run when an invariant does not hold: prints `message` and traps,
/// and libFuzzer saves the input as a crash file.
public func require(
    _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line
) {
    if !condition() { fatalError("invariant violated: " + message(), file: file, line: line) }
}

/// Whether two strings have exactly the same code points (`==` on `String` uses
/// canonical equivalence, which would hide a changed byte sequence).
public func sameScalars(_ lhs: String, _ rhs: String) -> Bool {
    lhs.unicodeScalars.elementsEqual(rhs.unicodeScalars)
}

/// `value` shortened and escaped for a failure message (inputs can be megabytes long).
public func shown(_ value: some CustomStringConvertible, limit: Int = 160) -> String {
    var text = ""
    var count = 0
    for scalar in value.description.unicodeScalars {
        guard count < limit else { return text + "…" }
        text += scalar.escaped(asASCII: true)
        count += 1
    }
    return text
}
