/// A document that annotations point into. Its text never changes: a corrected
/// text is a new document.
public struct Document: Sendable {
    /// The largest document accepted by default: 10 MiB of UTF-8.
    public static let defaultMaximumBytes = 10 * 1024 * 1024
    /// The longest title accepted, in code points.
    public static let maximumTitleLength = 500

    /// The document's id.
    public let id: DocumentID
    /// The project it belongs to.
    public let project: ProjectID
    /// A human-readable title.
    public let title: String
    /// The text and its code point index.
    public let text: DocumentText

    /// The document's id with its project.
    public var key: DocumentKey { DocumentKey(project: project, document: id) }

    /// Creates a document, checking the title length and the text size.
    ///
    /// - Throws: ``CoreError/Code/valueTooLong`` when the title or the text is too long,
    ///   ``CoreError/Code/invalidCharacter`` when either holds U+0000 (NUL).
    public init(id: DocumentID, project: ProjectID, title: String, text: String, maximumBytes: Int = defaultMaximumBytes) throws(CoreError) {
        try Limits.checkStorable(title, what: "title")
        try Limits.checkStorable(text, what: "document text")
        guard title.unicodeScalars.count <= Self.maximumTitleLength else {
            throw CoreError(.valueTooLong, "the title has \(title.unicodeScalars.count) code points; the limit is \(Self.maximumTitleLength)")
        }
        guard text.utf8.count <= maximumBytes else {
            throw CoreError(.valueTooLong, "the document has \(text.utf8.count) bytes; the limit is \(maximumBytes)")
        }
        self.id = id
        self.project = project
        self.title = title
        self.text = DocumentText(text)
    }
}
