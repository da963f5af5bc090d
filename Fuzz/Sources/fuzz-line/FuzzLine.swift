import FuzzSupport
import GlossProtocol

/// Fuzzes the line grammar with arbitrary bytes, as a client could send them:
///
/// - `LineParser.parse` never crashes; whatever parses is read as a `Request`;
/// - printing a parsed line and parsing it again gives the same line, code point
///   for code point (`LinePrinter` promises output that `LineParser` reads back unchanged);
/// - the `ERR` line for any error either throws stays under ``maximumReplyBytes``.
@main
enum FuzzLine {
    /// Longest `ERR` line accepted, in UTF-8 bytes: messages are bounded to 1,000
    /// code points and quote only short excerpts of the input.
    static let maximumReplyBytes = 1_200

    static func main() { runFuzzer(LLVMFuzzerTestOneInput) }

    /// Checks the `ERR` reply a server would send for `error`.
    static func checkReply(_ error: ProtocolError) {
        let reply = LinePrinter.print(Reply.error("t", error))
        require(reply.utf8.count < maximumReplyBytes, "ERR line of \(reply.utf8.count) bytes: \(shown(reply))")
    }

    /// Whether two lines are equal code point for code point (`Line`'s `==` compares
    /// strings by canonical equivalence, which would accept a changed byte sequence).
    static func identical(_ lhs: Line, _ rhs: Line) -> Bool {
        sameScalars(lhs.tag, rhs.tag) && sameScalars(lhs.word, rhs.word) && lhs.arguments.count == rhs.arguments.count
            && zip(lhs.arguments, rhs.arguments).allSatisfy { left, right in
                switch (left, right) {
                case (.positional(let a), .positional(let b)): sameScalars(a, b)
                case (.named(let keyA, let a), .named(let keyB, let b)): sameScalars(keyA, keyB) && sameScalars(a, b)
                default: false
                }
            }
    }
}

/// One input: a line's bytes without its line feed.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line: Line
    do {
        line = try LineParser.parse(inputBytes(data, size), maximumLength: 1 << 20)
    } catch {
        FuzzLine.checkReply(error)
        return 0
    }
    do {
        _ = try Request(parsing: line)
    } catch {
        FuzzLine.checkReply(error)
    }
    let printed = LinePrinter.print(line)
    let reparsed: Line
    do {
        reparsed = try LineParser.parse(printed)
    } catch {
        fatalError("invariant violated: the printed line \(shown(printed)) does not parse: \(error)")
    }
    require(reparsed == line, "printing changed the line: \(shown(printed)) reads back as \(shown(LinePrinter.print(reparsed)))")
    require(FuzzLine.identical(reparsed, line), "printing changed code points: \(shown(printed)) reads back as \(shown(LinePrinter.print(reparsed)))")
    return 0
}
