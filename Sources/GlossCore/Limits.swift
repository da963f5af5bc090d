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
    /// Most tags a create operation may carry.
    public static let maximumTagsPerAnnotation = 100
    /// Longest author name, in code points.
    public static let maximumAuthorLength = 64
    /// Longest quote, in code points.
    public static let maximumQuoteLength = 100_000

    static func check(_ value: String, limit: Int, what: String) throws(CoreError) {
        if value.utf8.count <= limit { return }
        let length = value.unicodeScalars.count
        guard length <= limit else {
            throw CoreError(.valueTooLong, "the \(what) has \(length) code points; the limit is \(limit)")
        }
    }

    static func checkTag(_ tag: String) throws(CoreError) {
        let length = tag.unicodeScalars.count
        guard length >= 1, length <= maximumTagLength,
            !tag.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "," })
        else {
            throw CoreError(.invalidTag, "tag \"\(tag)\" is not valid: use 1 to \(maximumTagLength) code points without spaces, commas or control characters")
        }
    }
}
