import GlossCore
import GlossProtocol
import GlossStore

extension Dispatcher {
    /// `LIST` and `CONFLICTS`: one page of annotations the user may read, as
    /// `* ANNOTATION` lines (with `* CONFLICT` lines for `CONFLICTS`), then
    /// `OK count=… [next=…]`.
    func list(_ query: AnnotationQuery, conflictsOnly: Bool, tag: String) async throws(ProtocolError) -> [Line] {
        let verb: Verb = conflictsOnly ? .conflicts : .list
        var project = query.project
        if let project { try authorize(verb, in: project) }
        for document in query.documents {
            let key = try await resolve(DocumentReference(document, in: query.project), for: verb)
            guard project == nil || project == key.project else {
                throw ProtocolError(.badArgument, "the documents named are in different projects; list one project at a time (project=)")
            }
            project = key.project
        }
        if project == nil, query.documents.isEmpty {
            let visible = principal.roles.keys.sorted()
            guard visible.count == 1 else {
                throw ProtocolError(
                    .badArgument,
                    visible.isEmpty ? "you have no role in any project"
                        : "name a project (project=, or --project in gloss): one of \(visible.map(\.rawValue).joined(separator: ", ")); or a document (doc=, --doc)"
                )
            }
            project = visible[0]
        }
        let filter = AnnotationFilter(
            project: project, documents: query.documents, label: query.label, author: query.author, status: query.status,
            changedSince: query.since.map(HLCTimestamp.init(rawValue:)), includeDeleted: query.includeDeleted, onlyConflicted: conflictsOnly
        )
        let page = try await call { () async throws(StoreError) in try await context.store.list(filter, after: query.after, limit: query.limit) }
        var lines: [Line] = []
        for state in page.annotations {
            guard let view = state.view else { continue }
            lines.append(AnnotationRecord(view, revision: state.revision).line)
            if conflictsOnly { lines += ConflictRecord.all(in: view).map(\.line) }
        }
        var result: [Argument] = [.named(key: "count", value: String(page.annotations.count))]
        if let next = page.nextCursor { result.append(.named(key: "next", value: String(next))) }
        return lines + [Reply.ok(tag, result)]
    }
}
