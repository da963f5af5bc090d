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
        case .putDocument(let upload): return try await putDocument(upload, request: request)
        case .getDocument(let reference):
            let document = try await readableDocument(reference)
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
            var warnings: [Argument] = []
            let document = try await authorizedDocument(ofAnnotation: id, for: .set)
            for edit in edits {
                let (value, warning) = try await value(of: edit, on: document)
                payloads.append(.set(value))
                if let warning { warnings.append(warning) }
            }
            return try await write(payloads, on: id, request: request, extra: warnings)
        case .resolve(let id, let edit):
            let document = try await authorizedDocument(ofAnnotation: id, for: edit.field == .review ? .review : .resolve)
            let (value, warning) = try await value(of: edit, on: document)
            return try await write([.resolve(value)], on: id, request: request, extra: warning.map { [$0] } ?? [])
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
        case .status:
            return try await status(request.tag)
        case .import(let record, let project, let document):
            return try await ImportHandler(dispatcher: self).run(record: record, project: project, document: document, tag: tag)
        case .hello, .auth, .ping, .whoami, .quit, .subscribe, .unsubscribe, .peer, .digests, .export:
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

    /// The document a client names, among the projects the user may see, checked for `verb`.
    ///
    /// With a project, the document must be there; without one, it is looked for in
    /// the user's projects only, so another project's ids are never revealed.
    ///
    /// - Throws: ``ProtocolError/Code/notFound`` when no visible project holds it,
    ///   ``ProtocolError/Code/badArgument`` when several do (say `project=`),
    ///   ``ProtocolError/Code/forbidden`` when the role there is too low.
    func resolve(_ reference: DocumentReference, for verb: Verb) async throws(ProtocolError) -> DocumentKey {
        let missing = ProtocolError(.notFound, "no document '\(reference)' that you can see")
        if let project = reference.project {
            try authorize(verb, in: project, hiding: "document '\(reference)'")
            let key = DocumentKey(project: project, document: reference.id)
            guard try await exists(key) else { throw missing }
            return key
        }
        let visible = principal.roles.keys.sorted()
        let holding: [ProjectID]
        if visible.count == 1 {
            holding = try await exists(DocumentKey(project: visible[0], document: reference.id)) ? visible : []
        } else {
            holding = try await call { () async throws(StoreError) in try await store.projects(holding: reference.id, among: visible) }
        }
        guard let project = holding.first else { throw missing }
        guard holding.count == 1 else {
            throw ProtocolError(
                .badArgument,
                "document '\(reference.id)' is in several of your projects (\(holding.map(\.rawValue).joined(separator: ", "))); name its project (project=, or --project in gloss)"
            )
        }
        try authorize(verb, in: project, hiding: "document '\(reference)'")
        let key = DocumentKey(project: project, document: reference.id)
        context.directory.remember(key)
        return key
    }

    /// Whether a document is stored, from the directory or the store.
    private func exists(_ key: DocumentKey) async throws(ProtocolError) -> Bool {
        if context.directory.knows(key) { return true }
        let found = try await call { () async throws(StoreError) in try await store.projects(holding: key.document, among: [key.project]) }
        if !found.isEmpty { context.directory.remember(key) }
        return !found.isEmpty
    }

    /// The document of an annotation the user may use `verb` on.
    func authorizedDocument(ofAnnotation id: AnnotationID, for verb: Verb) async throws(ProtocolError) -> DocumentKey {
        var document = context.directory.document(of: id)
        if document == nil {
            document = try await call { () async throws(StoreError) in try await store.document(ofAnnotation: id) }
            if let document { context.directory.remember(id, on: document) }
        }
        guard let document else { throw notFound(id) }
        try authorize(verb, in: document.project, hiding: "annotation \(id)")
        return document
    }

    /// A document the user may read, with its text.
    private func readableDocument(_ reference: DocumentReference) async throws(ProtocolError) -> Document {
        let key = try await resolve(reference, for: .getDocument)
        guard let document = try await call({ () async throws(StoreError) in try await context.documents.document(key, store: store) }) else {
            throw ProtocolError(.notFound, "no document '\(reference)' that you can see")
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
