/// The part of a document an annotation covers: half-open code point offsets
/// `[start, end)` (W3C TextPositionSelector) together with the exact quote and
/// up to ``contextLength`` code points of text on either side (TextQuoteSelector).
public struct Span: Hashable, Sendable, CustomStringConvertible {
    /// How many code points of prefix and suffix are kept.
    public static let contextLength = 32

    /// Offset of the first covered code point.
    public let start: Int
    /// Offset just past the last covered code point.
    public let end: Int
    /// The covered text, exactly.
    public let quote: String
    /// Up to ``contextLength`` code points before `start`.
    public let prefix: String
    /// Up to ``contextLength`` code points after `end`.
    public let suffix: String

    /// Creates a span; use ``DocumentText/span(start:end:)`` to build one from a document.
    public init(start: Int, end: Int, quote: String, prefix: String, suffix: String) {
        self.start = start
        self.end = end
        self.quote = quote
        self.prefix = prefix
        self.suffix = suffix
    }

    /// The number of code points covered.
    public var length: Int { end - start }

    public var description: String { "[\(start), \(end)) \"\(quote)\"" }
}
