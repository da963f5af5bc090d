import GlossCore

extension Request {
    /// The request as a protocol line, which ``init(parsing:)`` reads back unchanged.
    public var line: Line {
        var arguments = Self.arguments(of: command)
        if let key { arguments.append(.named(key: "key", value: key)) }
        if let revision, command.editsAnnotation { arguments.append(.named(key: "rev", value: Self.revisionText(revision))) }
        return Line(tag: tag, word: command.verb.rawValue, arguments: arguments)
    }

    private static func arguments(of command: Command) -> [Argument] {
        switch command {
        case .hello(let versions): return [named("version", versions.map(String.init).joined(separator: ","))]
        case .auth(let token): return [named("token", token)]
        case .ping, .whoami, .quit, .status, .digests: return []
        case .peer(let version): return [named("version", String(version))]
        case .putDocument(let upload):
            return [named("project", upload.project.rawValue)] + (upload.id.map { [named("id", $0.rawValue)] } ?? [])
                + [named("title", upload.title), named("text", upload.text)]
        case .getDocument(let reference): return [named("id", reference.id.rawValue)] + project(of: reference)
        case .listDocuments(let project): return [named("project", project.rawValue)]
        case .add(let new):
            var arguments = [named("doc", new.document.id.rawValue)] + project(of: new.document) + target(new.target)
            if !new.label.isEmpty { arguments.append(named("label", new.label)) }
            if !new.note.isEmpty { arguments.append(named("note", new.note)) }
            return arguments + new.tags.map { named("tag", $0) }
        case .get(let id), .delete(let id), .restore(let id): return [named("id", id.description)]
        case .list(let query), .conflicts(let query): return arguments(of: query)
        case .set(let id, let edits): return [named("id", id.description)] + edits.flatMap(arguments(of:))
        case .resolve(let id, let edit): return [named("id", id.description)] + arguments(of: edit)
        case .tag(let id, let tags), .untag(let id, let tags): return [named("id", id.description)] + tags.map { named("tag", $0) }
        case .review(let id, let review): return [named("id", id.description)] + arguments(of: .review(review))
        case .subscribe(.document(let document)): return [named("doc", document.id.rawValue)] + project(of: document)
        case .subscribe(.project(let project)): return [named("project", project.rawValue)]
        case .unsubscribe(let id): return [named("sub", String(id))]
        case .export(let query): return query.arguments
        case .import(let record, let project, let document):
            return [named("record", record)] + (project.map { [named("project", $0.rawValue)] } ?? []) + (document.map { [named("doc", $0.rawValue)] } ?? [])
        }
    }

    private static func named(_ key: String, _ value: String) -> Argument { .named(key: key, value: value) }

    private static func project(of reference: DocumentReference) -> [Argument] {
        reference.project.map { [named("project", $0.rawValue)] } ?? []
    }

    private static func target(_ target: SpanTarget) -> [Argument] {
        switch target {
        case .offsets(let start, let end): [named("start", String(start)), named("end", String(end))]
        case .quote(let quote, let occurrence): [named("quote", quote)] + (occurrence.map { [named("occurrence", String($0))] } ?? [])
        }
    }

    private static func arguments(of edit: Edit) -> [Argument] {
        switch edit {
        case .span(let span): target(span)
        case .label(let label): [named("label", label)]
        case .note(let note): [named("note", note)]
        case .review(let review):
            [named("status", review.status.rawValue)] + (review.comment.isEmpty ? [] : [named("comment", review.comment)])
        }
    }

    private static func arguments(of query: AnnotationQuery) -> [Argument] {
        var arguments: [Argument] = []
        if let project = query.project { arguments.append(named("project", project.rawValue)) }
        arguments += query.documents.map { named("doc", $0.rawValue) }
        if let label = query.label { arguments.append(named("label", label)) }
        if let author = query.author { arguments.append(named("author", author)) }
        if let status = query.status { arguments.append(named("status", status.rawValue)) }
        if let since = query.since { arguments.append(named("since", String(since))) }
        if query.includeDeleted { arguments.append(named("deleted", "yes")) }
        if query.after > 0 { arguments.append(named("after", String(query.after))) }
        if query.limit != AnnotationQuery.defaultLimit { arguments.append(named("limit", String(query.limit))) }
        return arguments
    }
}
