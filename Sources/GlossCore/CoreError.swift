/// An error raised by the pure core, with a stable machine-readable code and a
/// message a person can act on.
///
/// Codes never change meaning once published: the protocol, the store and the
/// CLI pass them through unchanged, and tests match on them.
public struct CoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable error code, such as `span-out-of-range`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as written on the wire and in logs.
        public let rawValue: String

        init(_ rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        /// An identifier (replica, document, project, annotation, author) is not well formed.
        public static let invalidIdentifier = Code("invalid-identifier")
        /// A span has `start == end`; annotations cover at least one code point.
        public static let spanEmpty = Code("span-empty")
        /// A span has `start > end` or a negative offset.
        public static let spanReversed = Code("span-reversed")
        /// A span ends past the end of the document.
        public static let spanOutOfRange = Code("span-out-of-range")
        /// The quote given with a span is not the text at those offsets.
        public static let quoteMismatch = Code("quote-mismatch")
        /// The prefix given with a span is not the text before it.
        public static let prefixMismatch = Code("prefix-mismatch")
        /// The suffix given with a span is not the text after it.
        public static let suffixMismatch = Code("suffix-mismatch")
        /// A quote occurs only inside larger user-perceived characters (a letter without its
        /// combining accent, part of an emoji sequence), or a span starts or ends inside one.
        public static let splitsCharacter = Code("splits-character")
        /// A text value holds U+0000 (NUL), which Gloss does not store (PostgreSQL text cannot hold it).
        public static let invalidCharacter = Code("invalid-character")
        /// An edit of an annotation its author saw deleted: restore it first.
        public static let annotationDeleted = Code("annotation-deleted")
        /// A quote to search for is empty.
        public static let quoteEmpty = Code("quote-empty")
        /// A quote to search for does not occur in the document.
        public static let quoteNotFound = Code("quote-not-found")
        /// A quote occurs more than once and no occurrence number was given.
        public static let quoteAmbiguous = Code("quote-ambiguous")
        /// The occurrence number asked for is below 1 or above the number of occurrences.
        public static let occurrenceOutOfRange = Code("occurrence-out-of-range")
        /// A remote timestamp lies further in the future than the allowed clock drift.
        public static let clockDrift = Code("clock-drift")
        /// An operation from elsewhere carries this replica's id with a counter this replica
        /// never issued: another process or site writes under the same replica id (a copied database).
        public static let forkedReplica = Code("forked-replica")
        /// A field value is longer than its limit.
        public static let valueTooLong = Code("value-too-long")
        /// A tag is empty, too long or contains forbidden characters.
        public static let invalidTag = Code("invalid-tag")
        /// An operation is internally inconsistent (for example its context contains its own dot).
        public static let malformedOperation = Code("malformed-operation")
        /// Encoded bytes end before the value they describe.
        public static let decodeTruncated = Code("decode-truncated")
        /// Encoded bytes carry a format version this build does not understand.
        public static let decodeVersion = Code("decode-version")
        /// Encoded bytes are not a canonical encoding of any value.
        public static let decodeMalformed = Code("decode-malformed")
    }

    /// The stable code.
    public let code: Code
    /// A human-readable explanation that says what to do.
    public let message: String

    /// Creates an error with a code and a message.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
