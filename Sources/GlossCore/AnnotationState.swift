/// The merged state of one annotation at one replica: a register per field, an
/// add-wins register per tag, and a lifecycle register for deletion.
///
/// ``apply(_:)`` is a join with the operation's delta, so the state is the same
/// whatever order operations arrive in and however often (docs/MERGE.md).
public struct AnnotationState: Hashable, Sendable {
    /// Who created the annotation, when, and on which document.
    public struct Origin: Hashable, Sendable {
        /// The create operation's dot.
        public let dot: Dot
        /// When it was created.
        public let timestamp: HLCTimestamp
        /// Who created it.
        public let author: String
        /// The project of the document it annotates.
        public let project: ProjectID
        /// The document it annotates.
        public let document: DocumentID

        /// The document it annotates, with its project.
        public var documentKey: DocumentKey { DocumentKey(project: project, document: document) }
    }

    /// The annotation's id.
    public let id: AnnotationID
    /// Set once the create operation has arrived (operations may arrive before it).
    public private(set) var origin: Origin?
    /// The span register.
    public private(set) var span = MultiValueRegister<Span>()
    /// The label register.
    public private(set) var label = MultiValueRegister<String>()
    /// The note register.
    public private(set) var note = MultiValueRegister<String>()
    /// The review register.
    public private(set) var review = MultiValueRegister<Review>()
    /// One add-wins register per tag ever written: present while it holds an entry.
    public private(set) var tags: [Tag: MultiValueRegister<Bool>] = [:]
    /// Deletions and restorations.
    public private(set) var lifecycle = MultiValueRegister<Lifecycle>()
    /// The latest timestamp of any operation merged.
    public private(set) var updatedAt = HLCTimestamp.zero

    /// An annotation nothing is known of yet.
    public init(id: AnnotationID) { self.id = id }

    init(
        id: AnnotationID, origin: Origin?, span: MultiValueRegister<Span>, label: MultiValueRegister<String>,
        note: MultiValueRegister<String>, review: MultiValueRegister<Review>, tags: [Tag: MultiValueRegister<Bool>],
        lifecycle: MultiValueRegister<Lifecycle>, updatedAt: HLCTimestamp
    ) {
        self.id = id
        self.origin = origin
        self.span = span
        self.label = label
        self.note = note
        self.review = review
        self.tags = tags
        self.lifecycle = lifecycle
        self.updatedAt = updatedAt
    }

    /// Merges one operation on this annotation. Idempotent and order-insensitive;
    /// the caller has checked `operation.annotation == id` and validated it.
    public mutating func apply(_ operation: AnnotationOperation) {
        let dot = operation.dot
        let time = operation.timestamp
        let author = operation.author
        let seen = operation.context
        updatedAt = max(updatedAt, time)
        switch operation.payload {
        case .create(let seed):
            if origin == nil || dot < origin!.dot {
                origin = Origin(dot: dot, timestamp: time, author: author, project: seed.project, document: seed.document)
            }
            span.apply(dot: dot, timestamp: time, author: author, value: seed.span, seen: seen)
            label.apply(dot: dot, timestamp: time, author: author, value: seed.label, seen: seen)
            note.apply(dot: dot, timestamp: time, author: author, value: seed.note, seen: seen)
            review.apply(dot: dot, timestamp: time, author: author, value: .open, seen: seen)
            for tag in seed.tags {
                tags[Tag(tag), default: MultiValueRegister()].apply(dot: dot, timestamp: time, author: author, value: true, seen: seen)
            }
        case .set(let value), .resolve(let value):
            switch value {
            case .span(let newSpan): span.apply(dot: dot, timestamp: time, author: author, value: newSpan, seen: seen)
            case .label(let newLabel): label.apply(dot: dot, timestamp: time, author: author, value: newLabel, seen: seen)
            case .note(let newNote): note.apply(dot: dot, timestamp: time, author: author, value: newNote, seen: seen)
            case .review(let newReview): review.apply(dot: dot, timestamp: time, author: author, value: newReview, seen: seen)
            }
        case .addTag(let tag):
            tags[Tag(tag), default: MultiValueRegister()].apply(dot: dot, timestamp: time, author: author, value: true, seen: seen)
        case .removeTag(let tag):
            tags[Tag(tag), default: MultiValueRegister()].apply(dot: dot, timestamp: time, author: author, value: nil, seen: seen)
        case .delete:
            lifecycle.apply(dot: dot, timestamp: time, author: author, value: .deleted(seen: seen), seen: seen)
        case .restore:
            lifecycle.apply(dot: dot, timestamp: time, author: author, value: .restored, seen: seen)
        }
    }

    /// Joins another replica's copy of this annotation into this one.
    public mutating func merge(_ other: AnnotationState) {
        if let theirs = other.origin, origin == nil || theirs.dot < origin!.dot { origin = theirs }
        span.merge(other.span)
        label.merge(other.label)
        note.merge(other.note)
        review.merge(other.review)
        for (tag, register) in other.tags { tags[tag, default: MultiValueRegister()].merge(register) }
        lifecycle.merge(other.lifecycle)
        updatedAt = max(updatedAt, other.updatedAt)
    }

    /// The union of every register's context: everything this replica has seen
    /// of the annotation. A deletion carries it so it covers exactly those edits.
    public var seen: CausalContext {
        var all = span.context
        all.formUnion(label.context)
        all.formUnion(note.context)
        all.formUnion(review.context)
        for register in tags.values { all.formUnion(register.context) }
        all.formUnion(lifecycle.context)
        return all
    }

    /// What the author of `payload` declares as seen, before adding the
    /// author's own version vector: the context of the register it writes, or
    /// of the whole annotation for a deletion.
    public func seenContext(for payload: AnnotationOperation.Payload) -> CausalContext {
        switch payload {
        case .create: CausalContext()
        case .set(let value), .resolve(let value):
            switch value.field {
            case .span: span.context
            case .label: label.context
            case .note: note.context
            case .review: review.context
            }
        case .addTag(let tag), .removeTag(let tag): tags[Tag(tag)]?.context ?? CausalContext()
        case .delete: seen
        case .restore: lifecycle.context
        }
    }

    /// A new, validated operation on this annotation by its author's replica:
    /// its context is what the author has seen of the part it writes, joined
    /// with `vector` (every operation the author's replica has applied, which
    /// must not cover `dot`).
    ///
    /// With `declared` (the ``revision`` a person was shown before deciding on
    /// the edit), the context is only those of the declared dots this state has
    /// seen: writes the person had not seen stay concurrent with the edit, and so
    /// show up as a conflict instead of being silently replaced.
    ///
    /// An edit of a field or a tag whose context includes a deletion the
    /// annotation still holds is refused: its author saw the annotation deleted
    /// (or flagged delete-conflict), so the edit would not be concurrent with the
    /// deletion and must not resurrect it. Restoring first makes it editable again.
    ///
    /// - Throws: ``CoreError/Code/annotationDeleted`` for such an edit, and the
    ///   validation errors of ``AnnotationOperation/validate()``.
    public func operation(
        _ payload: AnnotationOperation.Payload, dot: Dot, timestamp: HLCTimestamp, author: String, vector: VersionVector,
        declared: [Dot]? = nil
    ) throws(CoreError) -> AnnotationOperation {
        try operation(payload, dot: dot, timestamp: timestamp, author: author, vector: vector, declaredContext: declared.map(declaredContext(of:)))
    }

    /// ``operation(_:dot:timestamp:author:vector:declared:)`` with the declared revision
    /// already read by ``declaredContext(of:)``: a request writing many operations on
    /// one annotation reads its revision once, not once per operation.
    public func operation(
        _ payload: AnnotationOperation.Payload, dot: Dot, timestamp: HLCTimestamp, author: String, vector: VersionVector,
        declaredContext: CausalContext?
    ) throws(CoreError) -> AnnotationOperation {
        try checkTagLimits(payload)
        var seen: CausalContext
        if let declaredContext, !Self.isCreate(payload) {
            seen = declaredContext
        } else {
            seen = seenContext(for: payload)
            seen.formUnion(CausalContext(vector))
        }
        if Self.isEdit(payload), let deletion = heldDeletion(seenIn: seen) {
            throw CoreError(
                .annotationDeleted,
                "annotation \(id) was deleted by \(Excerpt.of(deletion.author)); restore it first, then edit it"
            )
        }
        let operation = AnnotationOperation(dot: dot, timestamp: timestamp, author: author, annotation: id, context: seen, payload: payload)
        try operation.validate()
        return operation
    }

    /// Refuses a tag operation past the limits: more than ``Limits/maximumTagsPerAnnotation``
    /// present, or more than ``Limits/maximumTagNamesPerAnnotation`` names ever written.
    private func checkTagLimits(_ payload: AnnotationOperation.Payload) throws(CoreError) {
        let name: String
        switch payload {
        case .addTag(let tag), .removeTag(let tag): name = tag
        default: return
        }
        let register = tags[Tag(name)]
        if register == nil, tags.count >= Limits.maximumTagNamesPerAnnotation {
            throw CoreError(
                .valueTooLong,
                "annotation \(id) has had \(tags.count) different tag names, the limit; reuse one of its tags"
            )
        }
        if case .addTag = payload, register?.isEmpty ?? true, presentTags.count >= Limits.maximumTagsPerAnnotation {
            throw CoreError(.valueTooLong, "annotation \(id) has \(presentTags.count) tags, the limit; remove one first")
        }
    }

    /// The dots of a declared revision that this state has seen, as a causal context:
    /// what an edit declaring `dots` replaces. Dots it never saw are dropped, so no
    /// client can cancel writes it was never shown.
    public func declaredContext(of dots: [Dot]) -> CausalContext {
        let known = seen
        return CausalContext(vector: VersionVector(), dots: dots.filter { known.contains($0) })
    }

    /// A deletion still held by the lifecycle register whose dot `seen` contains:
    /// an edit with that context would be made by someone who saw the annotation deleted.
    private func heldDeletion(seenIn seen: CausalContext) -> MultiValueRegister<Lifecycle>.Entry? {
        lifecycle.entries.first { entry in
            if case .deleted = entry.value { return seen.contains(entry.dot) }
            return false
        }
    }

    /// Whether the payload edits content (a field or a tag), as opposed to creating,
    /// deleting or restoring the annotation.
    private static func isEdit(_ payload: AnnotationOperation.Payload) -> Bool {
        switch payload {
        case .set, .resolve, .addTag, .removeTag: true
        case .create, .delete, .restore: false
        }
    }

    private static func isCreate(_ payload: AnnotationOperation.Payload) -> Bool {
        if case .create = payload { return true }
        return false
    }

    /// The dots of every value the annotation holds now (winning and conflicting
    /// values of every field, tag additions, deletions and restorations), sorted, each once:
    /// what a person has seen when shown the annotation. A write declaring it
    /// replaces exactly these values.
    public var revision: [Dot] {
        var dots = span.entries.map(\.dot) + label.entries.map(\.dot) + note.entries.map(\.dot) + review.entries.map(\.dot)
        for register in tags.values { dots.append(contentsOf: register.entries.map(\.dot)) }
        dots.append(contentsOf: lifecycle.entries.map(\.dot))
        return Array(Set(dots)).sorted()
    }

    /// The tags present, sorted by their UTF-8 bytes.
    public var presentTags: [String] {
        tags.filter { !$0.value.isEmpty }.keys.sorted().map(\.name)
    }

    /// Whether the annotation is live, deleted, or deleted while someone edited it.
    public var deletion: DeletionState {
        let deletions = lifecycle.entries.compactMap { entry -> CausalContext? in
            if case .deleted(let seen) = entry.value { return seen }
            return nil
        }
        guard var covered = deletions.first else { return .live }
        for seen in deletions.dropFirst() { covered.formUnion(seen) }
        let survivors = editDots.filter { !covered.contains($0) }
        return survivors.isEmpty ? .deleted : .deleteConflict(edits: survivors.sorted())
    }

    /// The dots of every value still held by the annotation's fields, tags and restorations.
    private var editDots: [Dot] {
        var dots = span.entries.map(\.dot) + label.entries.map(\.dot) + note.entries.map(\.dot) + review.entries.map(\.dot)
        for register in tags.values { dots.append(contentsOf: register.entries.map(\.dot)) }
        for entry in lifecycle.entries where entry.value == .restored { dots.append(entry.dot) }
        return dots
    }
}

/// Whether an annotation is deleted.
public enum DeletionState: Hashable, Sendable {
    /// Not deleted.
    case live
    /// Deleted after its deleter saw every edit: hidden from lists and exports unless asked for.
    case deleted
    /// Deleted concurrently with the listed edits: it stays visible, flagged for a person
    /// to keep (restore) or delete again.
    case deleteConflict(edits: [Dot])
}
