/// One change to one annotation, made by one author at one replica.
///
/// Every operation is identified by its ``dot`` and carries the causal
/// ``context`` its author had seen of the part of the annotation it writes, so
/// replicas can apply operations in any order, any number of times, and reach
/// the same state (see docs/MERGE.md).
public struct AnnotationOperation: Hashable, Sendable, CustomStringConvertible {
    /// What the operation does.
    public enum Payload: Hashable, Sendable {
        /// Creates the annotation with its initial content.
        case create(AnnotationSeed)
        /// Writes one field, replacing every value of it the author had seen.
        case set(FieldValue)
        /// Writes one field to settle a conflict the author saw; merges like ``set(_:)``.
        case resolve(FieldValue)
        /// Adds a tag.
        case addTag(String)
        /// Removes the additions of a tag the author had seen.
        case removeTag(String)
        /// Deletes the annotation, unless someone edited it concurrently.
        case delete
        /// Keeps an annotation whose deletion conflicted with an edit.
        case restore
    }

    /// The operation's identity.
    public let dot: Dot
    /// When it was made, by its replica's hybrid logical clock.
    public let timestamp: HLCTimestamp
    /// Who made it.
    public let author: String
    /// The annotation changed.
    public let annotation: AnnotationID
    /// What the author had seen of the written part of the annotation.
    public let context: CausalContext
    /// What the operation does.
    public let payload: Payload

    /// Creates an operation. Use ``validate()`` on operations from elsewhere.
    public init(dot: Dot, timestamp: HLCTimestamp, author: String, annotation: AnnotationID, context: CausalContext, payload: Payload) {
        self.dot = dot
        self.timestamp = timestamp
        self.author = author
        self.annotation = annotation
        self.context = context
        self.payload = payload
    }

    /// Checks the limits and the internal consistency of the operation.
    ///
    /// - Throws: ``CoreError/Code/malformedOperation``, ``CoreError/Code/valueTooLong``
    ///   or ``CoreError/Code/invalidTag``.
    public func validate() throws(CoreError) {
        guard dot.counter > 0 else { throw CoreError(.malformedOperation, "operation counters start at 1") }
        guard !context.contains(dot) else {
            throw CoreError(.malformedOperation, "operation \(dot) lists itself in its causal context")
        }
        let authorLength = author.unicodeScalars.count
        guard authorLength >= 1 else { throw CoreError(.malformedOperation, "operation \(dot) has no author") }
        try Limits.check(author, limit: Limits.maximumAuthorLength, what: "author name")
        switch payload {
        case .create(let seed):
            try Self.validate(.span(seed.span))
            try Self.validate(.label(seed.label))
            try Self.validate(.note(seed.note))
            guard seed.tags.count <= Limits.maximumTagsPerAnnotation else {
                throw CoreError(.valueTooLong, "\(seed.tags.count) tags given; the limit is \(Limits.maximumTagsPerAnnotation)")
            }
            for tag in seed.tags { try Limits.checkTag(tag) }
        case .set(let value), .resolve(let value):
            try Self.validate(value)
        case .addTag(let tag), .removeTag(let tag):
            try Limits.checkTag(tag)
        case .delete, .restore:
            break
        }
    }

    public var description: String {
        "\(dot)@\(timestamp) by \(author) on \(annotation): \(payload)"
    }

    private static func validate(_ value: FieldValue) throws(CoreError) {
        switch value {
        case .span(let span):
            guard span.start >= 0, span.start < span.end else {
                throw CoreError(.malformedOperation, "span [\(span.start), \(span.end)) is empty or reversed")
            }
            guard span.quote.unicodeScalars.count == span.length else {
                throw CoreError(.malformedOperation, "span [\(span.start), \(span.end)) has a quote of \(span.quote.unicodeScalars.count) code points")
            }
            try Limits.check(span.quote, limit: Limits.maximumQuoteLength, what: "quote")
            try Limits.check(span.prefix, limit: Span.contextLength, what: "prefix")
            try Limits.check(span.suffix, limit: Span.contextLength, what: "suffix")
        case .label(let label):
            try Limits.check(label, limit: Limits.maximumLabelLength, what: "label")
        case .note(let note):
            try Limits.check(note, limit: Limits.maximumNoteLength, what: "note")
        case .review(let review):
            try Limits.check(review.comment, limit: Limits.maximumReviewCommentLength, what: "review comment")
        }
    }
}

extension AnnotationOperation {
    /// The operation's kind, as the log's `kind` column and live events name it:
    /// `create`, `set-label`, `resolve-note`, `add-tag`, `remove-tag`, `delete`, `restore`.
    public var kind: String {
        switch payload {
        case .create: "create"
        case .set(let value): "set-\(value.field.rawValue)"
        case .resolve(let value): "resolve-\(value.field.rawValue)"
        case .addTag: "add-tag"
        case .removeTag: "remove-tag"
        case .delete: "delete"
        case .restore: "restore"
        }
    }
}
