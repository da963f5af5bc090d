public import GlossCore

/// The JSON Lines export (`gloss.export/1`, documented field by field in docs/EXPORT.md):
/// a header line, one line per annotation, and an end line with the count and
/// the cursor. Every line is one JSON object (RFC 8259) ending in `\n`; keys
/// always come in the same order, so the same annotations give the same bytes.
///
/// Offsets (`start`, `end`) count code points, half-open; `utf16` and `utf8`
/// objects give them in those units when asked for.
public struct JSONLinesFormat: Sendable {
    /// The schema named in the header; a change that breaks readers takes a new number.
    public static let schema = "gloss.export/1"

    /// The units beside code points.
    public let units: OffsetUnits

    /// A format writing offsets in code points and `units`.
    public init(units: OffsetUnits = []) { self.units = units }

    /// The header line: the schema, when, the offset units, and (for resuming an
    /// interrupted export) the snapshot's `cursor` and the `filter` it was asked with,
    /// as key and text pairs in the order given.
    public func header(exportedAt: HLCTimestamp, cursor: String? = nil, filter: [(key: String, value: String)] = []) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("header", for: "type")
        json.string(Self.schema, for: "schema")
        json.time(exportedAt, for: "exported")
        json.beginArray(for: "offsets")
        json.string("codepoints")
        if units.contains(.utf16) { json.string("utf16") }
        if units.contains(.utf8) { json.string("utf8") }
        json.endArray()
        if let cursor { json.string(cursor, for: "cursor") }
        json.beginObject(for: "filter")
        for (key, value) in filter { json.string(value, for: key) }
        json.endObject()
        json.endObject()
        return json.line()
    }

    /// One annotation's line.
    public func record(_ item: ExportItem) -> [UInt8] {
        let view = item.view
        var json = JSONWriter()
        json.beginObject()
        json.string("annotation", for: "type")
        json.string(view.id.description, for: "id")
        json.string(view.project.rawValue, for: "project")
        json.string(view.document.rawValue, for: "document")
        json.string(item.documentSHA256, for: "document_sha256")
        let span = view.span.value
        json.number(span.start, for: "start")
        json.number(span.end, for: "end")
        if let offsets = item.offsets, offsets.count >= span.end {
            if units.contains(.utf16) { Self.pair(offsets.utf16Offset(span.start), offsets.utf16Offset(span.end), for: "utf16", into: &json) }
            if units.contains(.utf8) { Self.pair(offsets.utf8Offset(span.start), offsets.utf8Offset(span.end), for: "utf8", into: &json) }
        }
        json.string(span.quote, for: "exact")
        json.string(span.prefix, for: "prefix")
        json.string(span.suffix, for: "suffix")
        json.string(view.label.value, for: "label")
        json.string(view.note.value, for: "note")
        json.beginArray(for: "tags")
        for tag in view.tags { json.string(tag) }
        json.endArray()
        json.beginObject(for: "review")
        json.string(view.review.value.status.rawValue, for: "status")
        json.string(view.review.value.comment, for: "comment")
        json.endObject()
        json.bool(item.isDeleted, for: "deleted")
        json.bool(item.hasDeleteConflict, for: "delete_conflict")
        json.string(view.creator, for: "creator")
        json.time(view.createdAt, for: "created")
        json.time(view.updatedAt, for: "updated")
        json.beginObject(for: "fields")
        Self.field(view.span, .span, into: &json)
        Self.field(view.label, .label, into: &json)
        Self.field(view.note, .note, into: &json)
        Self.field(view.review, .review, into: &json)
        json.endObject()
        json.beginArray(for: "conflicts")
        for entry in view.span.conflicts { Self.conflict(.span, entry, into: &json) { span, json in Self.spanValue(span, into: &json) } }
        for entry in view.label.conflicts { Self.conflict(.label, entry, into: &json) { value, json in json.string(value, for: "value") } }
        for entry in view.note.conflicts { Self.conflict(.note, entry, into: &json) { value, json in json.string(value, for: "value") } }
        for entry in view.review.conflicts {
            Self.conflict(.review, entry, into: &json) { review, json in
                json.string(review.status.rawValue, for: "status")
                json.string(review.comment, for: "comment")
            }
        }
        json.endArray()
        json.endObject()
        return json.line()
    }

    /// The end line: how many annotations, and the cursor for the next export.
    public func end(count: Int, cursor: String) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.string("end", for: "type")
        json.number(count, for: "count")
        json.string(cursor, for: "cursor")
        json.endObject()
        return json.line()
    }

    private static func pair(_ start: Int, _ end: Int, for key: String, into json: inout JSONWriter) {
        json.beginObject(for: key)
        json.number(start, for: "start")
        json.number(end, for: "end")
        json.endObject()
    }

    private static func field<Value>(_ field: FieldView<Value>, _ name: Field, into json: inout JSONWriter) {
        json.beginObject(for: name.rawValue)
        json.string(field.author, for: "author")
        json.time(field.timestamp, for: "time")
        json.endObject()
    }

    private static func spanValue(_ span: Span, into json: inout JSONWriter) {
        json.number(span.start, for: "start")
        json.number(span.end, for: "end")
        json.string(span.quote, for: "exact")
    }

    private static func conflict<Value>(
        _ field: Field, _ entry: MultiValueRegister<Value>.Entry, into json: inout JSONWriter, value: (Value, inout JSONWriter) -> Void
    ) {
        json.beginObject()
        json.string(field.rawValue, for: "field")
        value(entry.value, &json)
        json.string(entry.author, for: "author")
        json.time(entry.timestamp, for: "time")
        json.endObject()
    }
}

extension JSONWriter {
    /// The bytes written, ending in a line feed.
    func line() -> [UInt8] { bytes + [UInt8(ascii: "\n")] }
}
