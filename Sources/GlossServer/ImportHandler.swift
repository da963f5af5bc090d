import Foundation
import GlossCore
import GlossExport
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
        guard let text = try await dispatcher.call({ () async throws(StoreError) in try await context.documents.document(key, store: context.store) })?.text else {
            throw ProtocolError(.notFound, "no document '\(key.document)' in project '\(key.project)'")
        }
        let id = annotation.id ?? annotation.derivedID(on: key)
        return try await context.imports.serially { first throws(ProtocolError) in
            let existing = try await dispatcher.call { () async throws(StoreError) in try await context.store.annotation(id) }
            if let view = existing?.view {
                return (try await update(view, from: annotation, text: text, on: key, tag: tag), nil)
            }
            return try await create(annotation, id: id, text: text, on: key, firstCounter: first, tag: tag)
        }
    }

    /// The record as an imported annotation: `"type": "annotation"` is a JSON Lines line, anything else a W3C annotation.
    static func read(_ record: String) throws(ProtocolError) -> ImportedAnnotation {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(record.utf8))) as? [String: Any] else {
            throw ProtocolError(.badRecord, "the record is not a JSON object")
        }
        do {
            return object["type"] as? String == "annotation" ? try ImportedAnnotation(jsonLines: object) : try ImportedAnnotation(webAnnotation: object)
        } catch {
            throw ProtocolError(ProtocolError.Code(error.code), error.message)
        }
    }

    /// Stores the annotation's history; returns the reply and the counter after its operations.
    private func create(
        _ annotation: ImportedAnnotation, id: AnnotationID, text: DocumentText, on key: DocumentKey, firstCounter: UInt64, tag: String
    ) async throws(ProtocolError) -> (result: [Line], nextCounter: UInt64?) {
        let nowMilliseconds = UInt64(Date().timeIntervalSince1970 * 1000)
        let times = [annotation.created, annotation.updated].compactMap { $0 } + annotation.fields.values.map(\.time) + annotation.conflicts.map(\.provenance.time)
        if let latest = times.max(), latest.milliseconds > nowMilliseconds + Self.allowedAheadMilliseconds {
            throw ProtocolError(
                .badRecord, "the record is dated \(latest.iso8601), ahead of this server's clock by more than the minute allowed; check the file's times"
            )
        }
        let anchored: (span: Span, placement: Anchoring.Placement)
        do {
            try ImportHistory.check(annotation, against: text)
            anchored = try Anchoring.anchor(annotation, in: text)
        } catch {
            throw ProtocolError(ProtocolError.Code(error.code), error.message)
        }
        let history = ImportHistory(
            annotation, id: id, document: key, span: anchored.span, text: text, replica: context.imports.replica, firstCounter: firstCounter,
            importer: dispatcher.principal.name, now: HLCTimestamp(milliseconds: nowMilliseconds, logical: 0)
        )
        let batch = try await dispatcher.call { () async throws(StoreError) in try await context.store.apply(history.operations) }
        guard batch.held.isEmpty else {
            let error = ProtocolError(.badRecord, "the record's times run ahead of this server's clock; check the file's times")
            return ([Reply.error(tag, error)], history.nextCounter)
        }
        context.directory.remember(id, on: key)
        let reply = Reply.ok(tag, [
            .named(key: "id", value: id.description), .named(key: "result", value: "created"), .named(key: "placement", value: anchored.placement.rawValue),
            .named(key: "start", value: String(anchored.span.start)), .named(key: "end", value: String(anchored.span.end)),
        ])
        return ([reply], history.nextCounter)
    }

    private func update(_ view: AnnotationView, from annotation: ImportedAnnotation, text: DocumentText, on key: DocumentKey, tag: String) async throws(ProtocolError) -> [Line] {
        guard view.project == key.project, view.document == key.document else {
            throw ProtocolError(.badArgument, "annotation \(view.id) already exists on another document; an import does not move annotations")
        }
        var differs: [String] = []
        // Where the file would place it, as a new import would: not its raw offsets, which may count other units.
        if let placed = try? Anchoring.anchor(annotation, in: text).span, placed.start != view.span.value.start || placed.end != view.span.value.end {
            differs.append("span")
        }
        if annotation.label != view.label.value { differs.append("label") }
        if annotation.note != view.note.value { differs.append("note") }
        if annotation.tags.sorted() != view.tags.sorted() { differs.append("tags") }
        if annotation.deleted != (view.deletion == .deleted) { differs.append("deleted") }
        var result = "unchanged"
        if let review = annotation.review, review != view.review.value {
            let lines = await dispatcher.handle(Request(tag: tag, command: .review(view.id, review)))
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
