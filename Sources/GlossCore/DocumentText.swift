import Crypto

/// The immutable text of a document, indexed by Unicode code points.
///
/// Every offset in Gloss counts code points (Unicode scalars), never bytes or
/// UTF-16 units, and every comparison of quotes is exact scalar by scalar:
/// a precomposed "é" and "e" followed by a combining accent are different text.
public struct DocumentText: Sendable {
    /// The text.
    public let text: String
    /// The text's code points, for constant-time slicing.
    public let scalars: [Unicode.Scalar]
    /// The lower-case hexadecimal SHA-256 of the text's UTF-8 bytes.
    public let sha256: String

    /// Indexes `text`.
    public init(_ text: String) {
        self.text = text
        scalars = Array(text.unicodeScalars)
        sha256 = Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    /// The number of code points.
    public var count: Int { scalars.count }

    /// The text between two code point offsets, which must be in range.
    public func slice(_ start: Int, _ end: Int) -> String {
        // Encoded straight into the string's storage: appending scalars one by one is several times slower.
        let range = scalars[start..<end]
        let length = range.reduce(0) { $0 + UTF8.width($1) }
        return String(unsafeUninitializedCapacity: length) { buffer in
            var index = 0
            for scalar in range {
                for byte in UTF8.encode(scalar)! {
                    buffer[index] = byte
                    index += 1
                }
            }
            return index
        }
    }

    /// Builds the span `[start, end)` with its quote, prefix and suffix.
    ///
    /// - Throws: ``CoreError/Code/spanReversed``, ``CoreError/Code/spanEmpty`` or
    ///   ``CoreError/Code/spanOutOfRange``.
    public func span(start: Int, end: Int) throws(CoreError) -> Span {
        try checkRange(start: start, end: end)
        return Span(
            start: start,
            end: end,
            quote: slice(start, end),
            prefix: slice(max(0, start - Span.contextLength), start),
            suffix: slice(end, min(count, end + Span.contextLength))
        )
    }

    /// Finds `quote` and builds its span.
    ///
    /// Only whole user-perceived characters match: an occurrence that starts or
    /// ends inside a grapheme cluster (an `e` whose combining accent follows, one
    /// person of an emoji family, half of a flag) is not a match.
    ///
    /// - Parameter occurrence: which occurrence (1-based, counting overlapping
    ///   whole-character matches from the start); required when the quote occurs more than once.
    /// - Throws: ``CoreError/Code/quoteEmpty``, ``CoreError/Code/quoteNotFound``,
    ///   ``CoreError/Code/splitsCharacter`` (it occurs only as part of larger characters),
    ///   ``CoreError/Code/quoteAmbiguous`` or ``CoreError/Code/occurrenceOutOfRange``.
    public func span(quoting quote: String, occurrence: Int? = nil) throws(CoreError) -> Span {
        let needle = Array(quote.unicodeScalars)
        guard !needle.isEmpty else { throw CoreError(.quoteEmpty, "the quote to find is empty") }
        guard needle.count <= Limits.maximumQuoteLength else {
            throw CoreError(.valueTooLong, "the quote has \(needle.count) code points; the limit is \(Limits.maximumQuoteLength)")
        }
        let found = occurrences(of: needle)
        let boundaries = Set(characterBoundaries(among: found + found.map { $0 + needle.count }))
        let starts = found.filter { boundaries.contains($0) && boundaries.contains($0 + needle.count) }
        guard !starts.isEmpty else {
            guard let first = found.first else {
                throw CoreError(.quoteNotFound, "the quote \(Excerpt.quoted(quote)) does not occur in the document (matching is exact, code point by code point)")
            }
            throw CoreError(
                .splitsCharacter,
                "the quote \(Excerpt.quoted(quote)) occurs only inside larger characters (first at code point \(first), in \(Excerpt.quoted(characters(around: first, length: needle.count)))); quote whole characters, such as accents with their letter"
            )
        }
        let chosen: Int
        if let occurrence {
            guard (1...starts.count).contains(occurrence) else {
                throw CoreError(
                    .occurrenceOutOfRange,
                    "occurrence \(occurrence) asked for, but \(Excerpt.quoted(quote)) occurs \(starts.count) time\(starts.count == 1 ? "" : "s")"
                )
            }
            chosen = starts[occurrence - 1]
        } else {
            guard starts.count == 1 else {
                throw CoreError(
                    .quoteAmbiguous,
                    "\(Excerpt.quoted(quote)) occurs \(starts.count) times; say which with an occurrence number from 1 to \(starts.count)"
                )
            }
            chosen = starts[0]
        }
        return try span(start: chosen, end: chosen + needle.count)
    }

    /// The offsets among `offsets` (code points) that lie between two user-perceived
    /// characters (extended grapheme clusters, Unicode UAX #29, as Swift's `Character`
    /// implements it). 0 and ``count`` always do. Offsets out of range are left out.
    public func characterBoundaries(among offsets: [Int]) -> [Int] {
        let wanted = Set(offsets.filter { (0...count).contains($0) }).sorted()
        var boundaries: [Int] = []
        var index = text.unicodeScalars.startIndex
        var position = 0
        for offset in wanted {
            index = text.unicodeScalars.index(index, offsetBy: offset - position)
            position = offset
            if index.samePosition(in: text) != nil { boundaries.append(offset) }
        }
        return boundaries
    }

    /// The ends of `span` (code points) that fall inside a user-perceived character, if any:
    /// such a span covers part of a character (legal, but almost always a mistake).
    public func characterSplits(start: Int, end: Int) -> [Int] {
        let boundaries = characterBoundaries(among: [start, end])
        return [start, end].filter { !boundaries.contains($0) }
    }

    /// The whole characters around `[start, start + length)`, for messages.
    private func characters(around start: Int, length: Int) -> String {
        let from = max(0, start - 2)
        let to = min(count, start + length + 2)
        return slice(from, to)
    }

    /// The start offsets of every occurrence of `quote`, overlapping ones included.
    public func occurrences(of quote: String) -> [Int] {
        occurrences(of: Array(quote.unicodeScalars))
    }

    /// Checks a span received from elsewhere against this text.
    ///
    /// The offsets must be in range and the quote, prefix and suffix must equal
    /// the text there exactly (prefix and suffix may be shorter than the full
    /// context, but must then reach the start or end of the document).
    public func validate(_ span: Span) throws(CoreError) {
        let expected = try self.span(start: span.start, end: span.end)
        guard Self.sameScalars(span.quote, expected.quote) else {
            throw CoreError(
                .quoteMismatch,
                "the quote \(Excerpt.quoted(span.quote)) does not match the text \(Excerpt.quoted(expected.quote)) at [\(span.start), \(span.end)) (offsets count code points)"
            )
        }
        guard Self.sameScalars(span.prefix, expected.prefix) else {
            throw CoreError(.prefixMismatch, "the prefix \(Excerpt.quoted(span.prefix)) does not match the text before offset \(span.start): \(Excerpt.quoted(expected.prefix))")
        }
        guard Self.sameScalars(span.suffix, expected.suffix) else {
            throw CoreError(.suffixMismatch, "the suffix \(Excerpt.quoted(span.suffix)) does not match the text after offset \(span.end): \(Excerpt.quoted(expected.suffix))")
        }
    }

    /// The UTF-16 offset of a code point offset (for consumers in JavaScript, Java or C#).
    public func utf16Offset(ofCodePoint offset: Int) -> Int {
        scalars[0..<offset].reduce(0) { $0 + UTF16.width($1) }
    }

    /// The UTF-8 byte offset of a code point offset (for consumers in Rust, Go or C).
    public func utf8Offset(ofCodePoint offset: Int) -> Int {
        scalars[0..<offset].reduce(0) { $0 + UTF8.width($1) }
    }

    /// Whether two strings have exactly the same code points (Swift's `==` on
    /// `String` uses canonical equivalence, which would call "é" and "e\u{301}" equal).
    public static func sameScalars(_ lhs: String, _ rhs: String) -> Bool {
        lhs.unicodeScalars.elementsEqual(rhs.unicodeScalars)
    }

    private func checkRange(start: Int, end: Int) throws(CoreError) {
        guard start >= 0, start <= end else {
            throw CoreError(.spanReversed, "span [\(start), \(end)) is reversed or negative; start must be at least 0 and at most end")
        }
        guard start < end else {
            throw CoreError(.spanEmpty, "span [\(start), \(end)) is empty; an annotation covers at least one code point")
        }
        guard end <= count else {
            throw CoreError(.spanOutOfRange, "span [\(start), \(end)) ends past the document, which has \(count) code points")
        }
    }

    /// Every start of `needle` in the text, overlapping ones included, in linear time
    /// (Knuth–Morris–Pratt, 1977): a long quote on a long document costs its length
    /// plus the document's, never their product.
    private func occurrences(of needle: [Unicode.Scalar]) -> [Int] {
        guard !needle.isEmpty, needle.count <= scalars.count else { return [] }
        var border = [0] + Array(repeating: 0, count: needle.count - 1)
        var length = 0
        for index in 1..<needle.count {
            while length > 0, needle[index] != needle[length] { length = border[length - 1] }
            if needle[index] == needle[length] { length += 1 }
            border[index] = length
        }
        var found: [Int] = []
        var matched = 0
        for (position, scalar) in scalars.enumerated() {
            while matched > 0, scalar != needle[matched] { matched = border[matched - 1] }
            if scalar == needle[matched] { matched += 1 }
            if matched == needle.count {
                found.append(position - needle.count + 1)
                matched = border[matched - 1]
            }
        }
        return found
    }
}
