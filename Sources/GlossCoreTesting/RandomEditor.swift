public import GlossCore

/// Makes random but valid local edits on a replica, the way a crowd of
/// analysts would: creating annotations, rewriting fields, tagging, deleting,
/// restoring and resolving conflicts.
public struct RandomEditor: Sendable {
    /// The document every annotation points into.
    public let document: Document
    /// Labels to pick from.
    public var labels = ["PERSON", "ORG", "PLACE", "DATE", "EVENT", "CLAIM"]
    /// Tags to pick from (a small set, so concurrent add and remove collide often).
    public var tagNames = ["review", "followup", "source", "café", "cafe\u{301}", "東京"]
    /// Authors to pick from.
    public var authors = ["ana", "ben", "chloé"]

    /// An editor on a document with a short multilingual text.
    public init() {
        let text = "Kishida’s visit to Washington: “2+2” talks in 東京 and Zürich 🇯🇵🤝🇺🇸, café vs cafe\u{301}."
        document = try! Document(id: DocumentID("sample"), project: ProjectID("demo"), title: "Sample", text: text)
    }

    /// Performs one random edit on `replica` and returns the operation made.
    /// Edits target annotations the replica knows, or create a new one.
    public func edit(_ replica: inout Replica, wallClock: UInt64, using random: inout SeededRandom) -> AnnotationOperation {
        let known = replica.annotations.keys.sorted()
        let author = authors.randomElement(using: &random)!
        if known.isEmpty || random.chance(0.15) {
            return perform(&replica, .create(randomSeed(using: &random)), on: AnnotationID.random(using: &random), author, wallClock)
        }
        let target = known.randomElement(using: &random)!
        let payload: AnnotationOperation.Payload
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<20: payload = .set(.label(labels.randomElement(using: &random)!))
        case 20..<35: payload = .set(.note("note \(Int.random(in: 0..<50, using: &random)) by \(author)"))
        case 35..<45: payload = .set(.span(randomSpan(using: &random)))
        case 45..<52: payload = .set(.review(Review(status: ReviewStatus.allCases.randomElement(using: &random)!, comment: "ok?")))
        case 52..<66: payload = .addTag(tagNames.randomElement(using: &random)!)
        case 66..<78: payload = .removeTag(tagNames.randomElement(using: &random)!)
        case 78..<86: payload = .delete
        case 86..<90: payload = .restore
        default: payload = resolution(of: replica.annotations[target]!, using: &random)
        }
        // An analyst who sees an annotation deleted restores it before editing it (an edit is refused otherwise).
        if Self.isEdit(payload), Self.holdsDeletion(replica.annotations[target]!) {
            return perform(&replica, .restore, on: target, author, wallClock)
        }
        return perform(&replica, payload, on: target, author, wallClock)
    }

    private static func isEdit(_ payload: AnnotationOperation.Payload) -> Bool {
        switch payload {
        case .set, .resolve, .addTag, .removeTag: true
        case .create, .delete, .restore: false
        }
    }

    private static func holdsDeletion(_ state: AnnotationState) -> Bool {
        state.lifecycle.entries.contains { if case .deleted = $0.value { true } else { false } }
    }

    /// A random valid span of the document.
    public func randomSpan(using random: inout SeededRandom) -> Span {
        let start = Int.random(in: 0..<(document.text.count - 1), using: &random)
        let end = Int.random(in: (start + 1)...min(document.text.count, start + 12), using: &random)
        return try! document.text.span(start: start, end: end)
    }

    private func randomSeed(using random: inout SeededRandom) -> AnnotationSeed {
        let tags = (0..<Int.random(in: 0...2, using: &random)).map { _ in tagNames.randomElement(using: &random)! }
        return AnnotationSeed(
            project: document.project, document: document.id, span: randomSpan(using: &random), label: labels.randomElement(using: &random)!,
            note: "", tags: tags
        )
    }

    /// Resolves a conflicted field by picking one of its values, or relabels when nothing conflicts.
    private func resolution(of state: AnnotationState, using random: inout SeededRandom) -> AnnotationOperation.Payload {
        if let view = state.view, let entry = view.label.conflicts.first {
            return .resolve(.label(random.chance(0.5) ? entry.value : view.label.value))
        }
        if let view = state.view, let entry = view.note.conflicts.first {
            return .resolve(.note(entry.value))
        }
        return .resolve(.label(labels.randomElement(using: &random)!))
    }

    private func perform(
        _ replica: inout Replica, _ payload: AnnotationOperation.Payload, on id: AnnotationID, _ author: String, _ wallClock: UInt64
    ) -> AnnotationOperation {
        do {
            return try replica.perform(payload, on: id, by: author, wallClockMilliseconds: wallClock)
        } catch {
            preconditionFailure("the random editor made an invalid operation: \(error)")
        }
    }
}
