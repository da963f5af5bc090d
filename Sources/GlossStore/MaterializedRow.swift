import GlossCore

/// The queryable columns of an annotation row, derived from its merged state.
///
/// Absent values use the sentinels `gloss_apply_batch` turns into NULL:
/// empty text, timestamp 0 and offset -1.
struct MaterializedRow {
    let project: String
    let document: String
    let created: Bool
    let creator: String
    let createdHLC: Int64
    let updatedHLC: Int64
    let lastAuthor: String
    let label: String
    let note: String
    let status: String
    let spanStart: Int32
    let spanEnd: Int32
    let quote: String
    let tags: String
    let deleted: Bool
    let deleteConflict: Bool
    let conflicted: Bool

    init(_ state: AnnotationState) {
        let view = state.view
        project = state.origin?.project.rawValue ?? ""
        document = state.origin?.document.rawValue ?? ""
        created = view != nil
        creator = state.origin?.author ?? ""
        createdHLC = Int64(bitPattern: state.origin?.timestamp.rawValue ?? 0)
        updatedHLC = Int64(bitPattern: state.updatedAt.rawValue)
        label = view?.label.value ?? ""
        note = view?.note.value ?? ""
        status = view?.review.value.status.rawValue ?? ""
        spanStart = Int32(clamping: view?.span.value.start ?? -1)
        spanEnd = Int32(clamping: view?.span.value.end ?? -1)
        quote = view?.span.value.quote ?? ""
        tags = view?.tags.joined(separator: ",") ?? ""
        if let view {
            lastAuthor = view.lastAuthor
            conflicted = !view.conflictedFields.isEmpty
            switch view.deletion {
            case .live: (deleted, deleteConflict) = (false, false)
            case .deleted: (deleted, deleteConflict) = (true, false)
            case .deleteConflict: (deleted, deleteConflict) = (false, true)
            }
        } else {
            lastAuthor = ""
            conflicted = false
            (deleted, deleteConflict) = (false, false)
        }
    }
}
