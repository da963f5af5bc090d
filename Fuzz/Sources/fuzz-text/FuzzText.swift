import FuzzSupport
import GlossCore

/// Fuzzes `DocumentText`, the code point indexing every offset in Gloss goes through,
/// with arbitrary UTF-8 documents (combining marks, emoji sequences, flags, CRLF, a
/// byte order mark…). Offsets, a quote and an occurrence number come from the input's
/// first bytes (cycling), so the fuzzer steers them as it mutates the text.
///
/// Each result is checked against an independent computation with Swift's own views:
/// - `span(start:end:)` succeeds exactly for `0 ≤ start < end ≤ count` (with the documented
///   error otherwise), its quote has `end - start` code points and equals the text there,
///   its context is the 32 code points around it, and `validate(_:)` accepts it;
/// - `span(quoting:occurrence:)` picks the same whole-character occurrence as a naive search
///   over the `Character` boundaries, or throws the documented error;
/// - `characterBoundaries(among:)` and `characterSplits(start:end:)` agree with those boundaries;
/// - `utf8Offset` and `utf16Offset` agree with the `utf8` and `utf16` views.
@main
enum FuzzText {
    static func main() { runFuzzer(LLVMFuzzerTestOneInput) }
}

/// One input: a document's UTF-8 bytes (invalid UTF-8 is skipped).
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = inputBytes(data, size)
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    let check = TextCheck(text)
    let count = check.scalars.count
    /// Input byte `i` (cycling), the source of every derived parameter.
    func byte(_ i: Int) -> Int { size == 0 ? 0 : Int(bytes[i % size]) }

    let start = byte(0) % (count + 3) - 1  // from -1 to count + 1
    let end = start + byte(1) % 24 - 2  // reversed, empty or up to 21 code points
    check.span(start: start, end: end)
    check.span(start: 0, end: count)
    if count > 0 {
        let quoteStart = byte(2) % count
        var quote = check.document.slice(quoteStart, min(count, quoteStart + 1 + byte(3) % 6))
        if byte(7) % 8 == 0 { quote.unicodeScalars.append("\u{301}") }  // often found only inside a character, or not at all
        let choice = byte(4) % 5
        check.quote(quote, occurrence: choice == 4 ? nil : choice)
    }
    let offsets = [start, end, -1, 0, count, count + 1, byte(5) % (count + 1), byte(6) % (count + 1)]
    check.boundaries(offsets)
    check.splits(start: start, end: end)
    check.splits(start: byte(5) % (count + 1), end: byte(6) % (count + 1))
    for offset in Set(offsets) where (0...count).contains(offset) { check.encodingOffsets(offset) }
    return 0
}

/// A document under test with the independent facts its results are checked against.
struct TextCheck {
    let text: String
    let document: DocumentText
    /// The code points, from Swift's `unicodeScalars` view.
    let scalars: [Unicode.Scalar]
    /// The code point offsets between two `Character`s, 0 and the end included.
    let characterBoundaries: Set<Int>

    init(_ text: String) {
        self.text = text
        document = DocumentText(text)
        scalars = Array(text.unicodeScalars)
        var boundaries: Set<Int> = [0]
        var offset = 0
        for character in text {
            offset += character.unicodeScalars.count
            boundaries.insert(offset)
        }
        characterBoundaries = boundaries
        require(document.count == scalars.count, "count \(document.count), but the text has \(scalars.count) code points")
        require(offset == scalars.count, "the characters hold \(offset) code points, the text \(scalars.count)")
    }

    /// The code points `[start, end)`, clamped to the text, as a string.
    func text(_ start: Int, _ end: Int) -> String {
        var result = String.UnicodeScalarView()
        result.append(contentsOf: scalars[max(0, start)..<min(scalars.count, max(0, end))])
        return String(result)
    }

    /// Checks `span(start:end:)`.
    func span(start: Int, end: Int) {
        let name = "span(start: \(start), end: \(end)) of \(scalars.count) code points"
        do {
            let span = try document.span(start: start, end: end)
            require(0 <= start && start < end && end <= scalars.count, "\(name) succeeded")
            checkBuilt(span, name)
        } catch {
            let expected: CoreError.Code? =
                start < 0 || start > end ? .spanReversed : start == end ? .spanEmpty : end > scalars.count ? .spanOutOfRange : nil
            require(error.code == expected, "\(name) threw \(error.code), expected \(expected.map(\.rawValue) ?? "success")")
        }
    }

    /// Checks a span the document built: offsets, quote, context, and that it validates.
    func checkBuilt(_ span: Span, _ name: String) {
        require(span.quote.unicodeScalars.count == span.end - span.start, "\(name): quote of \(span.quote.unicodeScalars.count) code points")
        require(sameScalars(span.quote, text(span.start, span.end)), "\(name): quote \(shown(span.quote)) is not the text there")
        require(sameScalars(span.quote, document.slice(span.start, span.end)), "\(name): quote differs from slice")
        require(sameScalars(span.prefix, text(span.start - Span.contextLength, span.start)), "\(name): prefix \(shown(span.prefix))")
        require(sameScalars(span.suffix, text(span.end, span.end + Span.contextLength)), "\(name): suffix \(shown(span.suffix))")
        do { try document.validate(span) } catch { fatalError("invariant violated: \(name) does not validate: \(error)") }
    }

    /// Checks `span(quoting:occurrence:)` against a naive search.
    func quote(_ quote: String, occurrence: Int?) {
        let needle = Array(quote.unicodeScalars)
        let name = "span(quoting: \(shown(quote)), occurrence: \(occurrence.map(String.init) ?? "nil"))"
        let found = needle.count > scalars.count ? [] : (0...(scalars.count - needle.count)).filter { scalars[$0..<($0 + needle.count)].elementsEqual(needle) }
        require(document.occurrences(of: quote) == found, "\(name): occurrences \(document.occurrences(of: quote)), expected \(found)")
        let whole = found.filter { characterBoundaries.contains($0) && characterBoundaries.contains($0 + needle.count) }
        let expected: Outcome
        if found.isEmpty {
            expected = .failure(.quoteNotFound)
        } else if whole.isEmpty {
            expected = .failure(.splitsCharacter)
        } else if let occurrence {
            expected = (1...whole.count).contains(occurrence) ? .match(whole[occurrence - 1]) : .failure(.occurrenceOutOfRange)
        } else {
            expected = whole.count == 1 ? .match(whole[0]) : .failure(.quoteAmbiguous)
        }
        do {
            let span = try document.span(quoting: quote, occurrence: occurrence)
            require(expected == .match(span.start), "\(name) found [\(span.start), \(span.end)), expected \(expected)")
            require(span.end == span.start + needle.count, "\(name): end \(span.end)")
            require(sameScalars(span.quote, quote), "\(name): quote \(shown(span.quote))")
            require(document.characterSplits(start: span.start, end: span.end).isEmpty, "\(name): the match splits a character")
            checkBuilt(span, name)
        } catch {
            require(expected == .failure(error.code), "\(name) threw \(error.code), expected \(expected)")
        }
    }

    /// What a quote search should give: the start of a match, or an error code.
    enum Outcome: Equatable {
        case match(Int)
        case failure(CoreError.Code)
    }

    /// Checks `characterBoundaries(among:)`.
    func boundaries(_ offsets: [Int]) {
        let found = document.characterBoundaries(among: offsets)
        let expected = Set(offsets.filter { characterBoundaries.contains($0) }).sorted()
        require(found == expected, "characterBoundaries(among: \(offsets)) is \(found), expected \(expected)")
    }

    /// Checks `characterSplits(start:end:)`.
    func splits(start: Int, end: Int) {
        let found = document.characterSplits(start: start, end: end)
        let expected = [start, end].filter { !characterBoundaries.contains($0) }
        require(found == expected, "characterSplits(start: \(start), end: \(end)) is \(found), expected \(expected)")
    }

    /// Checks the UTF-8 and UTF-16 offsets of a code point offset in range.
    func encodingOffsets(_ offset: Int) {
        let index = text.unicodeScalars.index(text.unicodeScalars.startIndex, offsetBy: offset)
        let utf8 = text.utf8.distance(from: text.utf8.startIndex, to: index)
        let utf16 = text.utf16.distance(from: text.utf16.startIndex, to: index)
        require(document.utf8Offset(ofCodePoint: offset) == utf8, "utf8Offset(ofCodePoint: \(offset)) is \(document.utf8Offset(ofCodePoint: offset)), expected \(utf8)")
        require(document.utf16Offset(ofCodePoint: offset) == utf16, "utf16Offset(ofCodePoint: \(offset)) is \(document.utf16Offset(ofCodePoint: offset)), expected \(utf16)")
    }
}
