public import GlossCore

/// The operations that recreate an imported annotation as its file shows it: created
/// by its creator at its creation time, each shown field value written by its author at
/// its time, each losing value as a write concurrent with the winner, deleted (or in a
/// delete conflict) as it was, and last changed when the file says.
///
/// An export of the result shows the same values, authors and times (to the
/// millisecond, as exports print them): the winner of each field is given a later
/// logical clock part than the values it beat in the same millisecond (losers below
/// 500 in the file's best-first order, the creation 500, later writes 1000), so every
/// replica picks the same winner and lists the losers in the same order.
///
/// The operations are made under one replica (the importing server's import
/// replica), counters from `firstCounter` up, without gaps.
public struct ImportHistory: Sendable {
    /// The operations, in counter order.
    public private(set) var operations: [AnnotationOperation] = []
    /// The counter after the last operation's.
    public private(set) var nextCounter: UInt64

    private let replica: ReplicaID
    private let id: AnnotationID

    /// Builds the history of `annotation`, anchored at `span` in `text` of `document`.
    ///
    /// - Parameters:
    ///   - importer: the author of what the file does not attribute (no creator given).
    ///   - now: the time of what the file does not date.
    public init(
        _ annotation: ImportedAnnotation, id: AnnotationID, document: DocumentKey, span: Span, text: DocumentText, replica: ReplicaID,
        firstCounter: UInt64, importer: String, now: HLCTimestamp
    ) {
        self.replica = replica
        self.id = id
        nextCounter = firstCounter
        let creator = annotation.creator.flatMap { $0.isEmpty ? nil : $0 } ?? importer
        let created = annotation.created ?? annotation.updated ?? now
        let origin = ImportedAnnotation.Provenance(author: creator, time: created)
        let createDot = Dot(replica: replica, counter: nextCounter)
        nextCounter += 1

        // Each field's values: the shown one first, then those that lost.
        var entries: [Field: [(value: FieldValue, provenance: ImportedAnnotation.Provenance, wins: Bool)]] = [:]
        entries[.span] = [(.span(span), annotation.fields[.span] ?? origin, true)]
        entries[.label] = [(.label(annotation.label), annotation.fields[.label] ?? origin, true)]
        entries[.note] = [(.note(annotation.note), annotation.fields[.note] ?? origin, true)]
        entries[.review] = [(.review(annotation.review ?? .open), annotation.fields[.review] ?? origin, true)]
        for conflict in annotation.conflicts {
            let value: FieldValue
            switch conflict.value {
            case .span(let start, let end, _):
                // ``ImportHistory/check(_:against:)`` refused spans outside the text.
                guard let lost = try? text.span(start: start, end: end) else { continue }
                value = .span(lost)
            case .text(let text): value = conflict.field == .label ? .label(text) : .note(text)
            case .review(let review): value = .review(review)
            }
            guard value.field == conflict.field else { continue }
            entries[conflict.field, default: []].append((value, conflict.provenance, false))
        }

        // The creation holds, for each field, the value written at creation (a review starts open).
        var seed: [Field: FieldValue] = [:]
        var fromCreation: [Field: Int] = [:]
        for field in Field.allCases {
            let values = entries[field] ?? []
            if let index = values.firstIndex(where: { $0.provenance == origin && (field != .review || $0.value == .review(.open)) }) {
                fromCreation[field] = index
                seed[field] = values[index].value
            } else {
                seed[field] = values[0].value
            }
        }
        func spanValue(_ value: FieldValue?) -> Span { if case .span(let span) = value { span } else { span } }
        func textValue(_ value: FieldValue?) -> String {
            switch value {
            case .label(let text), .note(let text): text
            default: ""
            }
        }
        let moveTags = !annotation.deleted && !annotation.deleteConflict && !annotation.tags.isEmpty && (annotation.updated ?? created) > created
        let creation = AnnotationSeed(
            project: document.project, document: document.document, span: spanValue(seed[.span]), label: textValue(seed[.label]), note: textValue(seed[.note]),
            tags: moveTags ? [] : annotation.tags
        )
        var made: [AnnotationOperation] = [
            AnnotationOperation(
                dot: createDot, timestamp: Self.stamp(created, logical: Self.creationLogical), author: creator, annotation: id, context: CausalContext(), payload: .create(creation)
            )
        ]
        var all = CausalContext()
        all.insert(createDot)
        var latest = Self.stamp(created, logical: Self.creationLogical)
        for field in Field.allCases {
            for (index, entry) in (entries[field] ?? []).enumerated() where index != fromCreation[field] {
                // Values kept beside the creation's are concurrent with it; otherwise they replace it.
                var context = CausalContext()
                if fromCreation[field] == nil { context.insert(createDot) }
                let logical = entry.wins ? Self.writeLogical : UInt16(max(0, Int(Self.creationLogical) - 1 - index))
                let operation = make(.set(entry.value), at: Self.stamp(entry.provenance.time, logical: logical), by: entry.provenance.author, seen: context)
                made.append(operation)
                all.insert(operation.dot)
                latest = max(latest, operation.timestamp)
            }
        }
        let updated = max(annotation.updated ?? latest, latest)
        if moveTags {
            for tag in annotation.tags {
                let operation = make(.addTag(tag), at: updated, by: creator, seen: CausalContext())
                made.append(operation)
                all.insert(operation.dot)
            }
        } else if annotation.deleteConflict {
            // A deletion that covers nothing: every value survives it, so it awaits a decision.
            made.append(make(.delete, at: updated, by: annotation.fields.values.max { $0.time < $1.time }?.author ?? creator, seen: CausalContext()))
        } else if annotation.deleted {
            made.append(make(.delete, at: updated, by: creator, seen: all))
        } else if updated > latest {
            // Something the file does not show changed last (a tag removed, a deletion undone): a restoration dates it.
            made.append(make(.restore, at: updated, by: creator, seen: CausalContext()))
        }
        operations = made
    }

    /// Refuses a record whose losing values cannot be recreated in `text`: a span out of range.
    ///
    /// - Throws: ``ImportError`` (`bad-record`) naming the conflict.
    public static func check(_ annotation: ImportedAnnotation, against text: DocumentText) throws(ImportError) {
        for (index, conflict) in annotation.conflicts.enumerated() {
            guard case .span(let start, let end, _) = conflict.value else { continue }
            guard (try? text.span(start: start, end: end)) != nil else {
                throw .badRecord("conflicts[\(index)] holds the span [\(start), \(end)), which is not a span of the document (\(text.count) code points)")
            }
        }
    }

    private mutating func make(_ payload: AnnotationOperation.Payload, at time: HLCTimestamp, by author: String, seen: CausalContext) -> AnnotationOperation {
        defer { nextCounter += 1 }
        return AnnotationOperation(
            dot: Dot(replica: replica, counter: nextCounter), timestamp: time, author: author, annotation: id, context: seen, payload: payload
        )
    }

    /// The logical clock parts of the creation and of later writes (see the type's discussion).
    static let creationLogical: UInt16 = 500
    static let writeLogical: UInt16 = 1_000

    private static func stamp(_ time: HLCTimestamp, logical: UInt16) -> HLCTimestamp {
        HLCTimestamp(milliseconds: time.milliseconds, logical: logical)
    }
}
