import Foundation
import GlossCore
import GlossImport
import GlossProtocol
import GlossStore

/// Carries out `IMPORT`: one annotation record, a Gloss JSON Lines line or a W3C Web
/// Annotation (from Gloss or another tool), into its document (docs/EXPORT.md, "Import").
///
/// - An annotation the server does not hold is created as the file shows it: its id
///   (or one derived from the record, so importing again finds it), creator, times,
///   authors, losing values and deletion, anchored by ``Anchoring``.
/// - One it holds already is left as it is, except its review decision: a status or
///   comment that differs from the server's is recorded as a `REVIEW` by the importing
///   user. Other fields that differ are named in `differs=`, not changed.
///
/// So importing the same file twice changes nothing the second time.
struct ImportHandler {
    let dispatcher: Dispatcher

    private var context: ServerContext { dispatcher.context }

    /// Times further ahead of this server's clock than this are refused (the store would hold them), in ms.
    static let allowedAheadMilliseconds: UInt64 = 60_000

    func run(record: String, project: ProjectID?, document: DocumentID?, tag: String) async throws(ProtocolError) -> [Line] {
        let annotation = try Self.read(record)
        // The record's own document first; project= and doc= place records that name none.
        guard let documentID = annotation.document ?? document else {
            throw ProtocolError(.badArgument, "the record names no document: say which with doc= (gloss import --doc DOCUMENT)")
        }
        let key = try await dispatcher.resolve(DocumentReference(documentID, in: annotation.project ?? project), for: .import)
        let id = annotation.id ?? annotation.derivedID(on: key)
        let existing = try await dispatcher.call { () async throws(StoreError) in try await context.store.annotation(id) }
        if let view = existing?.view {
            return try await update(view, from: annotation, on: key, tag: tag)
        }
        return try await create(annotation, id: id, on: key, tag: tag)
    }

    /// The record as an imported annotation: `"type": "annotation"` is a JSON Lines line, anything else a W3C annotation.
    static func read(_ record: String) throws(ProtocolError) -> ImportedAnnotation {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(record.utf8))) as? [String: Any] else {
            throw ProtocolError(.badRecord, "record= is not a JSON object")
        }
        do {
            return object["type"] as? String == "annotation" ? try ImportedAnnotation(jsonLines: object) : try ImportedAnnotation(webAnnotation: object)
        } catch {
            throw ProtocolError(ProtocolError.Code(error.code), error.message)
        }
    }

    private func create(_ annotation: ImportedAnnotation, id: AnnotationID, on key: DocumentKey, tag: String) async throws(ProtocolError) -> [Line] {
        let nowMilliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
        let times = [annotation.created, annotation.updated].compactMap { $0 } + annotation.fields.values.map(\.time) + annotation.conflicts.map(\.provenance.time)
        if let latest = times.max(), latest.milliseconds > nowMilliseconds + Self.allowedAheadMilliseconds {
            throw ProtocolError(.badRecord, "the record is dated \(latest.milliseconds - nowMilliseconds) ms in the future; check the file's times")
        }
        guard let document = try await dispatcher.call({ () async throws(StoreError) in try await context.documents.document(key, store: context.store) }) else {
            throw ProtocolError(.notFound, "no document '\(key.document)' in project '\(key.project)'")
        }
        let anchored: (span: Span, placement: Anchoring.Placement)
        do {
            anchored = try Anchoring.anchor(annotation, in: document.text)
        } catch {
            throw ProtocolError(.unanchorable, error.message)
        }
        let importer = dispatcher.principal.name
        let now = HLCTimestamp(milliseconds: nowMilliseconds, logical: 0)
        _ = try await context.imports.store({ first in
            ImportHistory(
                annotation, id: id, document: key, span: anchored.span, text: document.text, replica: context.imports.replica, firstCounter: first,
                importer: importer, now: now
            )
        }, in: context.store)
        context.directory.remember(id, on: key)
        return [
            Reply.ok(tag, [
                .named(key: "id", value: id.description), .named(key: "result", value: "created"), .named(key: "placement", value: anchored.placement.rawValue),
                .named(key: "start", value: String(anchored.span.start)), .named(key: "end", value: String(anchored.span.end)),
            ])
        ]
    }

    private func update(_ view: AnnotationView, from annotation: ImportedAnnotation, on key: DocumentKey, tag: String) async throws(ProtocolError) -> [Line] {
        guard view.project == key.project, view.document == key.document else {
            throw ProtocolError(.badArgument, "annotation \(view.id) already exists on another document; an import does not move annotations")
        }
        var differs: [String] = []
        if let start = annotation.start, let end = annotation.end, start != view.span.value.start || end != view.span.value.end { differs.append("span") }
        if annotation.label != view.label.value { differs.append("label") }
        if annotation.note != view.note.value { differs.append("note") }
        if annotation.tags.sorted() != view.tags.sorted() { differs.append("tags") }
        if annotation.deleted != (view.deletion == .deleted) { differs.append("deleted") }
        var result = "unchanged"
        if annotation.review != view.review.value {
            let lines = await dispatcher.handle(Request(tag: tag, command: .review(view.id, annotation.review)))
            if let last = lines.last, let error = Reply.error(in: last) { throw error }
            result = "reviewed"
        }
        var arguments: [Argument] = [
            .named(key: "id", value: view.id.description), .named(key: "result", value: result),
            .named(key: "start", value: String(view.span.value.start)), .named(key: "end", value: String(view.span.value.end)),
        ]
        if !differs.isEmpty { arguments.append(.named(key: "differs", value: differs.joined(separator: ","))) }
        return [Reply.ok(tag, arguments)]
    }
}
