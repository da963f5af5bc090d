/// One field as a person sees it: the winning value, who wrote it and when,
/// and any concurrent values that lost and await resolution.
public struct FieldView<Value: Hashable & Sendable>: Hashable, Sendable {
    /// The value every replica shows.
    public let value: Value
    /// Who wrote the shown value.
    public let author: String
    /// When the shown value was written.
    public let timestamp: HLCTimestamp
    /// The write that produced the shown value.
    public let dot: Dot
    /// Concurrent values that lost, best first; empty when there is no conflict.
    public let conflicts: [MultiValueRegister<Value>.Entry]

    init?(_ register: MultiValueRegister<Value>) {
        guard let winner = register.winner else { return nil }
        value = winner.value
        author = winner.author
        timestamp = winner.timestamp
        dot = winner.dot
        conflicts = register.conflicts
    }

    /// Whether concurrent values are waiting to be resolved.
    public var isConflicted: Bool { !conflicts.isEmpty }
}

/// An annotation as every replica shows it once the same operations have arrived.
public struct AnnotationView: Hashable, Sendable {
    /// The annotation's id.
    public let id: AnnotationID
    /// The project of the document annotated.
    public let project: ProjectID
    /// The document annotated.
    public let document: DocumentID
    /// Who created it.
    public let creator: String
    /// When it was created.
    public let createdAt: HLCTimestamp
    /// When anything about it last changed.
    public let updatedAt: HLCTimestamp
    /// Where it points.
    public let span: FieldView<Span>
    /// Its label.
    public let label: FieldView<String>
    /// Its note.
    public let note: FieldView<String>
    /// Its review status and comment.
    public let review: FieldView<Review>
    /// Its tags, sorted.
    public let tags: [String]
    /// Whether it is deleted.
    public let deletion: DeletionState

    /// Who wrote the most recent of the shown field values (the span, label, note or review).
    public var lastAuthor: String {
        [(span.timestamp, span.author), (label.timestamp, label.author), (note.timestamp, note.author), (review.timestamp, review.author)]
            .max { $0.0 < $1.0 }!.1
    }

    /// The fields with concurrent values waiting to be resolved.
    public var conflictedFields: [Field] {
        var fields: [Field] = []
        if span.isConflicted { fields.append(.span) }
        if label.isConflicted { fields.append(.label) }
        if note.isConflicted { fields.append(.note) }
        if review.isConflicted { fields.append(.review) }
        return fields
    }
}

extension AnnotationState {
    /// The annotation as shown to people; `nil` until its create operation has arrived.
    public var view: AnnotationView? {
        guard let origin, let span = FieldView(span), let label = FieldView(label), let note = FieldView(note),
            let review = FieldView(review)
        else { return nil }
        return AnnotationView(
            id: id, project: origin.project, document: origin.document, creator: origin.author, createdAt: origin.timestamp, updatedAt: updatedAt,
            span: span, label: label, note: note, review: review, tags: presentTags, deletion: deletion
        )
    }
}
