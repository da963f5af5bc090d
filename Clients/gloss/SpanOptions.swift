import ArgumentParser
import GlossClient
import GlossProtocol

/// Where a span goes: `--span START:END` in code points, or `--quote TEXT [--occurrence N]`.
struct SpanOptions: ParsableArguments {
    @Option(help: "Code-point offsets START:END, half-open.") var span: String?
    @Option(help: "Text to find in the document.") var quote: String?
    @Option(help: "Which appearance of --quote (1 = first), when it appears more than once.") var occurrence: Int?

    func target() throws -> SpanTarget? {
        switch (span, quote) {
        case (nil, nil):
            if occurrence != nil { throw ValidationError("--occurrence goes with --quote") }
            return nil
        case (let span?, nil):
            let parts = span.split(separator: ":", omittingEmptySubsequences: false)
            let canonical = parts.allSatisfy { part in !part.isEmpty && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (part.count == 1 || part.first != "0") }
            guard parts.count == 2, canonical, let start = Int32(parts[0]), let end = Int32(parts[1]) else {
                throw ValidationError("--span takes START:END in code points (0 to 2147483647), such as 26:35; got \"\(Output.safe(span))\"")
            }
            if occurrence != nil { throw ValidationError("--occurrence goes with --quote, not --span") }
            return .offsets(start: Int(start), end: Int(end))
        case (nil, let quote?):
            if let occurrence, occurrence < 1 { throw ValidationError("--occurrence counts from 1") }
            return .quote(quote, occurrence: occurrence)
        default:
            throw ValidationError("give --span or --quote, not both")
        }
    }
}
