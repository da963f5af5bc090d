import GlossCore
import GlossProtocol
import GlossStore

/// Carries out the requests of an authenticated user that read or write data,
/// checking the user's role in the project concerned first. Returns the lines
/// to send: untagged results, then the final reply.
struct Dispatcher: Sendable {
    let context: ServerContext
    let principal: Principal

    private var store: GlossStore { context.store }

    /// The lines answering `request`; errors become an `ERR` reply.
    func handle(_ request: Request) async -> [Line] {
        do {
            return try await lines(for: request)
        } catch {
            return [Reply.error(request.tag, error)]
        }
    }

    private func lines(for request: Request) async throws(ProtocolError) -> [Line] {
        let tag = request.tag
        switch request.command {
        case .putDocument(let upload): return try await putDocument(upload, tag: tag)
        case .getDocument(let id):
            let document = try await readableDocument(id)
            return [DocumentRecord(document, includingText: true).line, Reply.ok(tag)]
        case .listDocuments(let project):
            try authorize(.listDocuments, in: project)
            let documents = try await call { () async throws(StoreError) in try await store.documents(in: project) }
            var lines: [Line] = []
            for (id, title) in documents {
                lines.append(Line(tag: Line.untagged, word: DocumentRecord.word, arguments: [
                    .named(key: "id", value: id.rawValue), .named(key: "project", value: project.rawValue), .named(key: "title", value: title),
                ]))
            }
            return lines + [Reply.ok(tag, [.named(key: "count", value: String(documents.count))])]
        case .add(let new): return try await add(new, request: request)
        case .get(let id):
            _ = try await authorizedDocument(ofAnnotation: id, for: .get)
            let state = try await call { () async throws(StoreError) in try await store.annotation(id) }
            guard let state, let view = state.view else { throw notFound(id) }
            return [AnnotationRecord(view, revision: state.revision).line] + ConflictRecord.all(in: view).map(\.line) + [Reply.ok(tag)]
        case .list(let query): return try await list(query, conflictsOnly: false, tag: tag)
        case .conflicts(let query): return try await list(query, conflictsOnly: true, tag: tag)
        case .set(let id, let edits):
            var payloads: [AnnotationOperation.Payload] = []
            let document = try await authorizedDocument(ofAnnotation: id, for: .set)
            for edit in edits { payloads.append(.set(try await value(of: edit, on: document))) }
            return try await write(payloads, on: id, request: request)
        case .resolve(let id, let edit):
            let document = try await authorizedDocument(ofAnnotation: id, for: edit.field == .review ? .review : .resolve)
            return try await write([.resolve(try await value(of: edit, on: document))], on: id, request: request)
        case .tag(let id, let tags):
            _ = try await authorizedDocument(ofAnnotation: id, for: .tag)
            return try await write(tags.map { .addTag($0) }, on: id, request: request)
        case .untag(let id, let tags):
            _ = try await authorizedDocument(ofAnnotation: id, for: .untag)
            return try await write(tags.map { .removeTag($0) }, on: id, request: request)
        case .delete(let id):
            _ = try await authorizedDocument(ofAnnotation: id, for: .delete)
            return try await write([.delete], on: id, request: request)
        case .restore(let id):
            _ = try await authorizedDocument(ofAnnotation: id, for: .restore)
            return try await write([.restore], on: id, request: request)
        case .review(let id, let review):
            _ = try await authorizedDocument(ofAnnotation: id, for: .review)
            return try await write([.set(.review(review))], on: id, request: request)
        case .hello, .auth, .ping, .whoami, .quit, .subscribe, .unsubscribe:
            throw ProtocolError(.internalError, "\(request.command.verb.rawValue) is handled by the session")
        }
    }

    // MARK: Access

    /// Checks the user's role in `project` allows `verb`.
    ///
    /// - Throws: ``ProtocolError/Code/notFound`` when the user has no role there
    ///   (so other projects stay invisible), ``ProtocolError/Code/forbidden`` when the role is too low.
    func authorize(_ verb: Verb, in project: ProjectID, hiding what: String? = nil) throws(ProtocolError) {
        guard let role = principal.roles[project] else {
            throw ProtocolError(.notFound, what.map { "no \($0)" } ?? "no project '\(project)' that you can see")
        }
        guard let required = verb.requiredRole, role >= required else {
            throw ProtocolError(
                .forbidden, "\(verb.rawValue) needs the \(verb.requiredRole?.rawValue ?? "admin") role in project '\(project)'; yours is \(role.rawValue)"
            )
        }
    }

    /// The project of a document, from the directory or the store.
    func project(of document: DocumentID) async throws(ProtocolError) -> ProjectID? {
        if let known = context.directory.project(of: document) { return known }
        guard let project = try await call({ () async throws(StoreError) in try await store.project(ofDocument: document) }) else { return nil }
        context.directory.remember(document, in: project)
        return project
    }

    /// The document of an annotation the user may use `verb` on.
    func authorizedDocument(ofAnnotation id: AnnotationID, for verb: Verb) async throws(ProtocolError) -> DocumentID {
        var document = context.directory.document(of: id)
        if document == nil {
            document = try await call { () async throws(StoreError) in try await store.document(ofAnnotation: id) }
            if let document { context.directory.remember(id, on: document) }
        }
        guard let document, let project = try await project(of: document) else { throw notFound(id) }
        try authorize(verb, in: project, hiding: "annotation \(id)")
        return document
    }

    /// A document the user may read, with its text.
    private func readableDocument(_ id: DocumentID) async throws(ProtocolError) -> Document {
        guard let project = try await project(of: id) else { throw ProtocolError(.notFound, "no document '\(id)'") }
        try authorize(.getDocument, in: project, hiding: "document '\(id)'")
        guard let document = try await call({ () async throws(StoreError) in try await context.documents.document(id, store: store) }) else {
            throw ProtocolError(.notFound, "no document '\(id)'")
        }
        return document
    }

    func notFound(_ id: AnnotationID) -> ProtocolError {
        ProtocolError(.notFound, "no annotation \(id)")
    }

    /// Runs a store call, turning its error into the client's.
    func call<Result>(_ body: () async throws(StoreError) -> Result) async throws(ProtocolError) -> Result {
        do {
            return try await body()
        } catch {
            throw ProtocolError(error)
        }
    }
}
