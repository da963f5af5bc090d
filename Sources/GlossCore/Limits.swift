/// The size limits on annotation content, enforced on every operation.
public enum Limits {
    /// Longest label, in code points.
    public static let maximumLabelLength = 200
    /// Longest note, in code points.
    public static let maximumNoteLength = 20_000
    /// Longest reviewer comment, in code points.
    public static let maximumReviewCommentLength = 5_000
    /// Longest tag, in code points.
    public static let maximumTagLength = 100
    /// Most tags an annotation carries at once (a create's tags included).
    public static let maximumTagsPerAnnotation = 100
    /// Most different tag names ever written on one annotation, removed ones included
    /// (each keeps a small register, so that a removal merges with a concurrent addition).
    public static let maximumTagNamesPerAnnotation = 1_000
    /// Longest author name, in code points.
    public static let maximumAuthorLength = 64
    /// Longest quote, in code points.
    public static let maximumQuoteLength = 100_000

    static func check(_ value: String, limit: Int, what: String) throws(CoreError) {
        try checkStorable(value, what: what)
        if value.utf8.count <= limit { return }
        let length = value.unicodeScalars.count
        guard length <= limit else {
            throw CoreError(.valueTooLong, "the \(what) has \(length) code points; the limit is \(limit)")
        }
    }

    /// Refuses U+0000 (NUL), which PostgreSQL's `text` cannot hold: a value that
    /// cannot be stored is refused here, before it reaches a shared transaction.
    ///
    /// - Throws: ``CoreError/Code/invalidCharacter``.
    public static func checkStorable(_ value: String, what: String) throws(CoreError) {
        guard let position = value.utf8.firstIndex(of: 0) else { return }
        let offset = value.unicodeScalars.distance(from: value.unicodeScalars.startIndex, to: position)
        throw CoreError(.invalidCharacter, "the \(what) holds U+0000 (NUL) at code point \(offset), which Gloss cannot store; remove it")
    }

    /// Checks a tag: 1 to ``maximumTagLength`` code points, no whitespace, commas or control characters.
    ///
    /// - Throws: ``CoreError/Code/invalidTag``.
    public static func checkTag(_ tag: String) throws(CoreError) {
        let length = tag.unicodeScalars.count
        guard length >= 1, length <= maximumTagLength,
            !tag.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "," })
        else {
            throw CoreError(.invalidTag, "tag \(Excerpt.quoted(tag)) is not valid: use 1 to \(maximumTagLength) code points without spaces, commas or control characters")
        }
    }
}
