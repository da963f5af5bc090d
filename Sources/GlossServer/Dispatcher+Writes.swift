import Foundation
import GlossCore
import GlossProtocol
import GlossStore

extension Dispatcher {
    func putDocument(_ upload: DocumentUpload, tag: String) async throws(ProtocolError) -> [Line] {
        try authorize(.putDocument, in: upload.project)
        let size = upload.text.utf8.count
        guard size <= context.limits.maximumDocumentBytes else {
            throw ProtocolError(.documentTooLarge, "the text has \(size) bytes; this server accepts up to \(context.limits.maximumDocumentBytes)")
        }
        let document: Document
        do throws(CoreError) {
            document = try Document(
                id: upload.id ?? DocumentID.derived(fromTitle: upload.title), project: upload.project, title: upload.title, text: upload.text,
                maximumBytes: context.limits.maximumDocumentBytes
            )
        } catch {
            throw ProtocolError(error)
        }
        try await call { () async throws(StoreError) in try await context.store.putDocument(document) }
        context.directory.remember(document.id, in: document.project)
        return [
            Reply.ok(tag, [
                .named(key: "id", value: document.id.rawValue), .named(key: "sha256", value: document.text.sha256),
                .named(key: "code-points", value: String(document.text.count)),
            ])
        ]
    }

    func add(_ new: NewAnnotation, request: Request) async throws(ProtocolError) -> [Line] {
        guard let project = try await project(of: new.document) else { throw ProtocolError(.notFound, "no document '\(new.document)'") }
        try authorize(.add, in: project, hiding: "document '\(new.document)'")
        let span = try await span(new.target, on: new.document)
        let seed = AnnotationSeed(document: new.document, span: span, label: new.label, note: new.note, tags: new.tags)
        var generator = SystemRandomNumberGenerator()
        let id = AnnotationID.timeOrdered(milliseconds: UInt64(max(0, Date().timeIntervalSince1970 * 1000)), using: &generator)
        return try await write([.create(seed)], on: id, request: request, extra: [
            .named(key: "start", value: String(span.start)), .named(key: "end", value: String(span.end)), .named(key: "quote", value: span.quote),
        ])
    }

    /// The field value an edit writes; spans are checked against the document's text.
    func value(of edit: Edit, on document: DocumentID) async throws(ProtocolError) -> FieldValue {
        switch edit {
        case .span(let target): .span(try await span(target, on: document))
        case .label(let label): .label(label)
        case .note(let note): .note(note)
        case .review(let review): .review(review)
        }
    }

    private func span(_ target: SpanTarget, on id: DocumentID) async throws(ProtocolError) -> Span {
        guard let document = try await call({ () async throws(StoreError) in try await context.documents.document(id, store: context.store) }) else {
            throw ProtocolError(.notFound, "no document '\(id)'")
        }
        do throws(CoreError) {
            switch target {
            case .offsets(let start, let end): return try document.text.span(start: start, end: end)
            case .quote(let quote, let occurrence): return try document.text.span(quoting: quote, occurrence: occurrence)
            }
        } catch {
            throw ProtocolError(error)
        }
    }

    /// Writes operations on one annotation (under the request's idempotency key)
    /// and answers `OK id=…`, with `replayed=yes` when the key had been used for this request before.
    func write(
        _ payloads: [AnnotationOperation.Payload], on id: AnnotationID, request: Request, extra: [Argument] = []
    ) async throws(ProtocolError) -> [Line] {
        let key = request.key.map { key in
            var untagged = request
            untagged.tag = "-"
            return RequestKey(user: principal.name, key: key, request: LinePrinter.print(untagged.line))
        }
        let outcome = try await call { () async throws(StoreError) in try await context.store.perform(payloads, on: id, by: principal.name, key: key, declared: request.revision) }
        switch outcome {
        case .written(let operations):
            if case .create(let seed) = payloads.first { context.directory.remember(id, on: seed.document) }
            let dots = Request.revisionText(operations.map(\.dot))
            return [Reply.ok(request.tag, [.named(key: "id", value: id.description)] + extra + [.named(key: "ops", value: dots)])]
        case .replayed(let earlier):
            return [Reply.ok(request.tag, [.named(key: "id", value: earlier.description), .named(key: "replayed", value: "yes")])]
        }
    }
}
