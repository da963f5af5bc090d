import GlossCore

/// The CSV export: RFC 4180 (comma-separated, CRLF line ends, every text cell
/// in double quotes with quotes doubled), UTF-8 without a byte order mark,
/// one header row and one row per annotation.
///
/// A text cell that starts with `=`, `+`, `-`, `@`, a tab, a carriage return
/// or a line feed is neutralised as OWASP's "CSV Injection" advice says: a
/// single quote is put before it, so a spreadsheet shows the text instead of
/// running it as a formula. NUL cannot be written (spreadsheets cut the cell
/// there): ``record(_:)`` refuses it. Offsets count code points, half-open;
/// `utf16_*` and `utf8_*` columns are added when asked for.
public struct CSVFormat: Sendable {
    /// A value CSV cannot carry.
    public struct Refusal: Error, Sendable, CustomStringConvertible {
        /// The annotation and the column.
        public let description: String
    }

    /// The units beside code points.
    public let units: OffsetUnits

    /// A format writing offsets in code points and `units`.
    public init(units: OffsetUnits = []) { self.units = units }

    /// The column names, in order.
    public var columns: [String] {
        var names = ["id", "project", "document", "document_title", "start", "end"]
        if units.contains(.utf16) { names += ["utf16_start", "utf16_end"] }
        if units.contains(.utf8) { names += ["utf8_start", "utf8_end"] }
        names += [
            "exact", "prefix", "suffix", "label", "note", "tags", "review_status", "review_comment", "deleted", "delete_conflict",
            "conflicted_fields", "creator", "created", "updated", "last_author",
        ]
        return names
    }

    /// The header row.
    public func header() -> [UInt8] {
        var bytes: [UInt8] = []
        for (index, name) in columns.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            bytes.append(contentsOf: name.utf8)
        }
        bytes.append(contentsOf: [0x0D, 0x0A])
        return bytes
    }

    /// One annotation's row.
    ///
    /// - Throws: ``Refusal`` when a text holds NUL.
    public func record(_ item: ExportItem) throws(Refusal) -> [UInt8] {
        let view = item.view
        let span = view.span.value
        var row = Row(id: view.id.description)
        try row.text(view.id.description, "id")
        try row.text(view.project.rawValue, "project")
        try row.text(view.document.rawValue, "document")
        try row.text(item.documentTitle, "document_title")
        row.number(span.start)
        row.number(span.end)
        let offsets = item.offsets.flatMap { $0.count >= span.end ? $0 : nil }
        if units.contains(.utf16) {
            row.number(offsets?.utf16Offset(span.start))
            row.number(offsets?.utf16Offset(span.end))
        }
        if units.contains(.utf8) {
            row.number(offsets?.utf8Offset(span.start))
            row.number(offsets?.utf8Offset(span.end))
        }
        try row.text(span.quote, "exact")
        try row.text(span.prefix, "prefix")
        try row.text(span.suffix, "suffix")
        try row.text(view.label.value, "label")
        try row.text(view.note.value, "note")
        try row.text(view.tags.joined(separator: " "), "tags")
        try row.text(view.review.value.status.rawValue, "review_status")
        try row.text(view.review.value.comment, "review_comment")
        row.plain(item.isDeleted ? "true" : "false")
        row.plain(item.hasDeleteConflict ? "true" : "false")
        try row.text(view.conflictedFields.map(\.rawValue).joined(separator: " "), "conflicted_fields")
        try row.text(view.creator, "creator")
        row.plain(view.createdAt.iso8601)
        row.plain(view.updatedAt.iso8601)
        try row.text(view.lastAuthor, "last_author")
        row.bytes.append(contentsOf: [0x0D, 0x0A])
        return row.bytes
    }

    /// A row being written.
    private struct Row {
        let id: String
        var bytes: [UInt8] = []

        init(id: String) { self.id = id }

        private mutating func separate() {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: ",")) }
        }

        mutating func number(_ value: Int?) {
            separate()
            if let value { bytes.append(contentsOf: String(value).utf8) }
        }

        mutating func plain(_ value: String) {
            separate()
            bytes.append(contentsOf: value.utf8)
        }

        /// A quoted cell, neutralised when a spreadsheet would read it as a formula.
        mutating func text(_ value: String, _ column: String) throws(Refusal) {
            separate()
            bytes.append(UInt8(ascii: "\""))
            if let first = value.utf8.first, CSVFormat.formulaStarts.contains(first) { bytes.append(UInt8(ascii: "'")) }
            for byte in value.utf8 {
                if byte == 0 { throw Refusal(description: "annotation \(id): its \(column) holds NUL, which CSV cannot carry") }
                if byte == UInt8(ascii: "\"") { bytes.append(byte) }
                bytes.append(byte)
            }
            bytes.append(UInt8(ascii: "\""))
        }
    }

    /// First bytes that make a spreadsheet evaluate a cell (OWASP, "CSV Injection").
    static let formulaStarts: Set<UInt8> = [UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "@"), 0x09, 0x0D, 0x0A]
}
