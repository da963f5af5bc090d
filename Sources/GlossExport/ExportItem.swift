public import GlossCore

/// One annotation handed to a format: its view and what the format needs of its document.
public struct ExportItem: Sendable {
    /// The annotation as every replica shows it.
    public let view: AnnotationView
    /// The document's title.
    public let documentTitle: String
    /// The document's SHA-256, 64 lowercase hex digits.
    public let documentSHA256: String
    /// The document's offset index, when offsets in other units were asked for.
    public let offsets: OffsetIndex?

    /// An item.
    public init(view: AnnotationView, documentTitle: String, documentSHA256: String, offsets: OffsetIndex?) {
        self.view = view
        self.documentTitle = documentTitle
        self.documentSHA256 = documentSHA256
        self.offsets = offsets
    }

    /// Whether the annotation is deleted (a tombstone an incremental export reports).
    public var isDeleted: Bool { view.deletion == .deleted }

    /// Whether a deletion met concurrent edits and awaits a person's decision.
    public var hasDeleteConflict: Bool {
        if case .deleteConflict = view.deletion { return true }
        return false
    }
}
