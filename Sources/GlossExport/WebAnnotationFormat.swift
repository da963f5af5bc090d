public import GlossCore

/// The W3C Web Annotation export: one JSON-LD document whose `@graph` holds the
/// annotations in `AnnotationPage`s of ``pageSize`` and, last, the
/// `AnnotationCollection` they belong to (Web Annotation Data Model §5,
/// https://www.w3.org/TR/annotation-model/#collections). Written as a stream:
/// ``header()``, ``record(_:)`` for each annotation, then ``end(exportedAt:cursor:)``.
///
/// Each annotation's target names its document (`urn:gloss:document:PROJECT/DOCUMENT`,
/// with the title and SHA-256) and carries a `TextQuoteSelector` (exact, prefix,
/// suffix) and a `TextPositionSelector` (start, end in code points, half-open, as
/// the model says). Bodies are `TextualBody`s: the label (`classifying`), the note
/// (`commenting`) and one per tag (`tagging`). Review status and comment, and the
/// deleted flags, are Gloss terms (`urn:gloss:`) defined in the document's context.
/// Pages and the collection are blank nodes, so the same annotations give the
/// same bytes but for the collection's `generated` time and `cursor`.
public struct WebAnnotationFormat: Sendable {
    /// The W3C Web Annotation context.
    public static let contextURL = "http://www.w3.org/ns/anno.jsonld"

    /// The prefix of the names of documents: `urn:gloss:document:PROJECT/DOCUMENT`.
    public static let documentPrefix = "urn:gloss:document:"

    /// Annotations per page.
    public let pageSize: Int
    /// Annotations written so far.
    public private(set) var count = 0

    /// A format writing pages of `pageSize` annotations (at least 1).
    public init(pageSize: Int = 1_000) {
        self.pageSize = max(1, pageSize)
    }

    /// The document's start: the contexts, and the opening of `@graph`.
    public func header() -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.beginArray(for: "@context")
        json.string(Self.contextURL)
        json.beginObject()
        json.string("urn:gloss:", for: "gloss")
        json.string("gloss:sha256", for: "sha256")
        json.string("gloss:reviewStatus", for: "reviewStatus")
        json.string("gloss:reviewComment", for: "reviewComment")
        json.string("gloss:deleted", for: "deleted")
        json.string("gloss:deleteConflict", for: "deleteConflict")
        json.string("gloss:cursor", for: "cursor")
        json.endObject()
        json.endArray()
        // The object stays open: "@graph" follows, then the annotations.
        return json.bytes + Array(#","@graph":["#.utf8) + [UInt8(ascii: "\n")]
    }

    /// One annotation, opening a new page (and closing the last) every ``pageSize`` annotations.
    public mutating func record(_ item: ExportItem) -> [UInt8] {
        var bytes: [UInt8] = []
        if count % pageSize == 0 {
            let page = count / pageSize + 1
            if count > 0 { bytes += Array("\n],\"next\":\"_:page-\(page)\"},\n".utf8) }
            var json = JSONWriter()
            json.beginObject()
            json.string("_:page-\(page)", for: "id")
            json.string("AnnotationPage", for: "type")
            json.string("_:collection", for: "partOf")
            json.number(count, for: "startIndex")
            if page > 1 { json.string("_:page-\(page - 1)", for: "prev") }
            json.beginArray(for: "items")
            bytes += json.bytes + [UInt8(ascii: "\n")]
        } else {
            bytes += [UInt8(ascii: ","), UInt8(ascii: "\n")]
        }
        count += 1
        return bytes + Self.annotation(item)
    }

    /// The document's end: the last page closed, then the collection (how many
    /// annotations, the first and last page, when, and the cursor for the next export).
    public func end(exportedAt: HLCTimestamp, cursor: String) -> [UInt8] {
        var bytes: [UInt8] = count > 0 ? Array("\n]},\n".utf8) : []
        var json = JSONWriter()
        json.beginObject()
        json.string("_:collection", for: "id")
        json.string("AnnotationCollection", for: "type")
        json.string("Gloss export", for: "label")
        json.number(count, for: "total")
        if count > 0 {
            json.string("_:page-1", for: "first")
            json.string("_:page-\((count - 1) / pageSize + 1)", for: "last")
        }
        json.time(exportedAt, for: "generated")
        json.string(cursor, for: "cursor")
        json.endObject()
        bytes += json.bytes
        bytes += Array("\n]}\n".utf8)
        return bytes
    }

    /// One annotation as a Web Annotation object.
    static func annotation(_ item: ExportItem) -> [UInt8] {
        let view = item.view
        let span = view.span.value
        var json = JSONWriter()
        json.beginObject()
        json.string("urn:uuid:\(view.id)", for: "id")
        json.string("Annotation", for: "type")
        json.string(view.label.value.isEmpty ? "highlighting" : "classifying", for: "motivation")
        json.beginObject(for: "creator")
        json.string("Person", for: "type")
        json.string(view.creator, for: "name")
        json.endObject()
        json.time(view.createdAt, for: "created")
        json.time(view.updatedAt, for: "modified")
        json.beginArray(for: "body")
        if !view.label.value.isEmpty { textualBody(view.label.value, purpose: "classifying", into: &json) }
        if !view.note.value.isEmpty { textualBody(view.note.value, purpose: "commenting", into: &json) }
        for tag in view.tags { textualBody(tag, purpose: "tagging", into: &json) }
        json.endArray()
        json.beginObject(for: "target")
        json.beginObject(for: "source")
        json.string("\(documentPrefix)\(view.project.rawValue)/\(view.document.rawValue)", for: "id")
        json.string("Text", for: "type")
        json.string(item.documentTitle, for: "label")
        json.string(item.documentSHA256, for: "sha256")
        json.endObject()
        json.beginArray(for: "selector")
        json.beginObject()
        json.string("TextQuoteSelector", for: "type")
        json.string(span.quote, for: "exact")
        json.string(span.prefix, for: "prefix")
        json.string(span.suffix, for: "suffix")
        json.endObject()
        json.beginObject()
        json.string("TextPositionSelector", for: "type")
        json.number(span.start, for: "start")
        json.number(span.end, for: "end")
        json.endObject()
        json.endArray()
        json.endObject()
        json.string(view.review.value.status.rawValue, for: "reviewStatus")
        if !view.review.value.comment.isEmpty { json.string(view.review.value.comment, for: "reviewComment") }
        if item.isDeleted { json.bool(true, for: "deleted") }
        if item.hasDeleteConflict { json.bool(true, for: "deleteConflict") }
        json.endObject()
        return json.bytes
    }

    private static func textualBody(_ value: String, purpose: String, into json: inout JSONWriter) {
        json.beginObject()
        json.string("TextualBody", for: "type")
        json.string(purpose, for: "purpose")
        json.string(value, for: "value")
        json.endObject()
    }
}
