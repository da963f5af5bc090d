/// The single-valued fields of an annotation, each merged as a multi-value register.
public enum Field: String, Hashable, Sendable, CaseIterable {
    /// Where the annotation points.
    case span
    /// Its label, such as `PERSON`.
    case label
    /// Free-text note.
    case note
    /// Review status with the reviewer's comment.
    case review
}

/// A value written to one field.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    /// A new span.
    case span(Span)
    /// A new label (empty for none).
    case label(String)
    /// A new note (empty for none).
    case note(String)
    /// A review decision.
    case review(Review)

    /// The field the value belongs to.
    public var field: Field {
        switch self {
        case .span: .span
        case .label: .label
        case .note: .note
        case .review: .review
        }
    }

    public var description: String {
        switch self {
        case .span(let span): "span \(span)"
        case .label(let label): "label \"\(label)\""
        case .note(let note): "note \"\(note)\""
        case .review(let review): "review \(review)"
        }
    }
}

/// The initial content of an annotation, carried by its create operation.
public struct AnnotationSeed: Hashable, Sendable {
    /// The project of the document annotated (document ids are unique within a project).
    public let project: ProjectID
    /// The document annotated.
    public let document: DocumentID
    /// The span annotated.
    public let span: Span
    /// The label, possibly empty.
    public let label: String
    /// The note, possibly empty.
    public let note: String
    /// Tags, without repeats.
    public let tags: [String]

    /// The document annotated, with its project.
    public var documentKey: DocumentKey { DocumentKey(project: project, document: document) }

    /// Creates a seed; repeated tags are dropped and the rest sorted by their UTF-8 bytes.
    public init(project: ProjectID, document: DocumentID, span: Span, label: String = "", note: String = "", tags: [String] = []) {
        self.project = project
        self.document = document
        self.span = span
        self.label = label
        self.note = note
        self.tags = Tag.canonical(tags)
    }
}
