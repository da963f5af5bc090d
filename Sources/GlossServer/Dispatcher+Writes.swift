import Foundation
import GlossCore
import GlossProtocol
import GlossStore

extension Dispatcher {
    /// `DOC-PUT`. Under an idempotency key, a replay answers the first answer with
    /// `replayed=yes`, and the key used for another request is refused (`key-reused`).
    func putDocument(_ upload: DocumentUpload, request: Request) async throws(ProtocolError) -> [Line] {
        let tag = request.tag
        try authorize(.putDocument, in: upload.project)
        let key = request.key.map { key in
            var untagged = request
            untagged.tag = "-"
            return RequestKey(user: principal.name, key: key, request: LinePrinter.print(untagged.line))
        }

        let size = upload.text.utf8.count
        guard size <= context.limits.maximumDocumentBytes else {
            throw ProtocolError(.documentTooLarge, "the text has \(size) bytes; this server accepts up to \(context.limits.maximumDocumentBytes)")
        }
        let document: Document
        do throws(CoreError) {
            document = try Document(
                id: upload.id ?? DocumentID.derived(fromTitle: upload.title, text: upload.text), project: upload.project, title: upload.title,
                text: upload.text, maximumBytes: context.limits.maximumDocumentBytes
            )
        } catch {
            throw ProtocolError(error)
        }
        let answer: [Argument] = [
            .named(key: "id", value: document.id.rawValue), .named(key: "sha256", value: document.text.sha256),
            .named(key: "code-points", value: String(document.text.count)),
        ]
        do throws(ProtocolError) {
            if let key {
                // The key and the document are stored in one transaction: concurrent requests under one key apply once.
                let reply = answer.map(LinePrinter.print).joined(separator: " ")
                let outcome = try await call { () async throws(StoreError) in try await context.store.putDocument(document, key: key, reply: reply) }
                if case .replayed(let first) = outcome {
                    let arguments = (try? LineParser.parse("* OK " + first).arguments) ?? []
                    return [Reply.ok(tag, arguments + [.named(key: "replayed", value: "yes")])]
                }
            } else {
                try await call { () async throws(StoreError) in try await context.store.putDocument(document) }
            }
        } catch where error.code == .documentExists && upload.id == nil {
            throw ProtocolError(.documentExists, error.message + " (the id '\(document.id)' was made from the title, or from the text when the title has no Latin letter or digit; choose one with --id in gloss doc add, id= in the protocol)")
        }
        context.directory.remember(document.key)
        return [Reply.ok(tag, answer)]
    }

    func add(_ new: NewAnnotation, request: Request) async throws(ProtocolError) -> [Line] {
        let document = try await resolve(new.document, for: .add)
        // The key's request names the document's project, given or found, so a retry that adds project= is the same request.
        var request = request
        var resolved = new
        resolved.document = DocumentReference(document.document, in: document.project)
        request.command = .add(resolved)
        let (span, warning) = try await span(new.target, on: document)
        let seed = AnnotationSeed(project: document.project, document: document.document, span: span, label: new.label, note: new.note, tags: new.tags)
        var generator = SystemRandomNumberGenerator()
        let id = AnnotationID.timeOrdered(milliseconds: UInt64(max(0, Date().timeIntervalSince1970 * 1000)), using: &generator)
        let result: [Argument] = [
            .named(key: "start", value: String(span.start)), .named(key: "end", value: String(span.end)), .named(key: "quote", value: span.quote),
        ]
        return try await write([.create(seed)], on: id, request: request, extra: result + (warning.map { [$0] } ?? []))
    }

    /// The field value an edit writes, with a warning when it is a span that splits a
    /// user-perceived character; spans are checked against the document's text.
    func value(of edit: Edit, on document: DocumentKey) async throws(ProtocolError) -> (FieldValue, warning: Argument?) {
        switch edit {
        case .span(let target):
            let (span, warning) = try await span(target, on: document)
            return (.span(span), warning)
        case .label(let label): return (.label(label), nil)
        case .note(let note): return (.note(note), nil)
        case .review(let review): return (.review(review), nil)
        }
    }

    /// The span a target picks. A quote only ever matches whole characters; offsets
    /// that start or end inside a user-perceived character are accepted (code points
    /// are the unit) with a `warning=` for the client to show.
    private func span(_ target: SpanTarget, on key: DocumentKey) async throws(ProtocolError) -> (Span, warning: Argument?) {
        guard let document = try await call({ () async throws(StoreError) in try await context.documents.document(key, store: context.store) }) else {
            throw ProtocolError(.notFound, "no document '\(key)'")
        }
        do throws(CoreError) {
            switch target {
            case .offsets(let start, let end):
                let span = try document.text.span(start: start, end: end)
                let splits = document.text.characterSplits(start: start, end: end)
                guard !splits.isEmpty else { return (span, nil) }
                let warning = "splits-character: offset \(splits.map(String.init).joined(separator: " and ")) falls inside a user-perceived character (such as a letter and its accent, or an emoji sequence); the span covers part of it"
                return (span, .named(key: "warning", value: warning))
            case .quote(let quote, let occurrence):
                return (try document.text.span(quoting: quote, occurrence: occurrence), nil)
            }
        } catch {
            throw ProtocolError(error)
        }
    }

    /// Writes operations on one annotation (under the request's idempotency key) and
    /// answers `OK id=… [extra…] ops=…`. A request replayed under its key gets the
    /// first answer again, with `replayed=yes`.
    func write(
        _ payloads: [AnnotationOperation.Payload], on id: AnnotationID, request: Request, extra: [Argument] = []
    ) async throws(ProtocolError) -> [Line] {
        let identity = Argument.named(key: "id", value: id.description)
        let key = request.key.map { key in
            var untagged = request
            untagged.tag = "-"
            return RequestKey(user: principal.name, key: key, request: LinePrinter.print(untagged.line)) { operations in
                ([identity] + extra + [Self.ops(operations)]).map(LinePrinter.print).joined(separator: " ")
            }
        }
        let outcome = try await call { () async throws(StoreError) in try await context.store.perform(payloads, on: id, by: principal.name, key: key, declared: request.revision) }
        switch outcome {
        case .written(let operations):
            if case .create(let seed) = payloads.first { context.directory.remember(id, on: seed.documentKey) }
            return [Reply.ok(request.tag, [identity] + extra + [Self.ops(operations)])]
        case .replayed(let earlier, let reply):
            let first = (try? LineParser.parse("* OK " + reply).arguments).flatMap { $0.isEmpty ? nil : $0 }
            return [Reply.ok(request.tag, (first ?? [.named(key: "id", value: earlier.description)]) + [.named(key: "replayed", value: "yes")])]
        }
    }

    /// `ops=`: the dots of the operations a write made.
    private static func ops(_ operations: [AnnotationOperation]) -> Argument {
        .named(key: "ops", value: Request.revisionText(operations.map(\.dot)))
    }
}
