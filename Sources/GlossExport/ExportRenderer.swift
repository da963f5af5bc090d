public import GlossCore

/// The formats an export can be written in.
public enum ExportFormat: String, Hashable, Sendable, CaseIterable {
    /// JSON Lines, schema `gloss.export/1`: a header line, one line per annotation, an end line.
    case jsonl
    /// W3C Web Annotation JSON-LD: an AnnotationCollection in pages.
    case w3c
    /// RFC 4180 CSV, UTF-8, cells neutralised against formula injection.
    case csv
    /// brat standoff: `.txt` and `.ann` per document and an `annotation.conf`, in a tar file.
    case brat
    /// A self-contained HTML review report.
    case html

    /// Whether the format shows deletions (so it can carry an incremental export).
    public var marksDeletions: Bool { self == .jsonl || self == .w3c || self == .csv }

    /// Whether `--offsets utf16,utf8` applies (the others count code points, as their specifications say).
    public var takesOtherOffsetUnits: Bool { self == .jsonl || self == .csv }

    /// Whether each annotation needs its document's text (for other offset units, or to write the text).
    public func needsText(units: OffsetUnits) -> Bool { !units.isEmpty || self == .brat || self == .html }
}

/// Turns an export's annotations, in export order (project, document, span start,
/// id), into one format's bytes: the opening, each annotation, the end. brat and
/// the HTML report gather a document's annotations and write them when the next
/// document begins or the export ends.
///
/// Pure: the caller reads the snapshot and sends the bytes where they go.
public struct ExportRenderer: Sendable {
    /// One annotation as the snapshot gives it, with its document's title, digest and, when
    /// ``ExportFormat/needsText(units:)``, text.
    public struct Row: Sendable {
        public var view: AnnotationView
        public var document: DocumentKey
        public var documentTitle: String
        public var documentSHA256: String
        public var text: DocumentText?

        public init(view: AnnotationView, document: DocumentKey, documentTitle: String, documentSHA256: String, text: DocumentText?) {
            self.view = view
            self.document = document
            self.documentTitle = documentTitle
            self.documentSHA256 = documentSHA256
            self.text = text
        }
    }

    public let format: ExportFormat
    private let units: OffsetUnits
    private let now: HLCTimestamp
    /// Tar entries' modification time, in seconds since 1970.
    private let modifiedSeconds: UInt64
    private let json: JSONLinesFormat
    private let csv: CSVFormat
    private var w3c = WebAnnotationFormat()
    private var brat = BratFormat()
    private let html = HTMLReportFormat()
    private var index: (key: DocumentKey, offsets: OffsetIndex)?
    private var gathered: (key: DocumentKey, text: DocumentText, title: String, items: [ExportItem])?
    /// Annotations rendered so far.
    public private(set) var count = 0

    /// - Parameters:
    ///   - now: the export's time, in the header and the end.
    ///   - count: annotations already written (a resumed export's end line counts them too).
    public init(format: ExportFormat, units: OffsetUnits, now: HLCTimestamp, count: Int = 0) {
        self.format = format
        self.units = units
        self.now = now
        self.modifiedSeconds = now.milliseconds / 1_000
        self.count = count
        json = JSONLinesFormat(units: units)
        csv = CSVFormat(units: units)
    }

    /// The bytes before the first annotation: the JSON Lines header (with the snapshot's cursor
    /// and the filter as `glossd export` flags name it), the collection's opening, the CSV header.
    public func opening(cursor: String, filter: [(key: String, value: String)]) -> [UInt8] {
        switch format {
        case .jsonl: json.header(exportedAt: now, cursor: cursor, filter: filter)
        case .w3c: w3c.header()
        case .csv: csv.header()
        case .brat: []
        case .html: html.header(generated: now)
        }
    }

    /// The bytes for one more annotation (for brat and HTML, the previous document's, once a new one begins).
    ///
    /// - Throws: ``CSVFormat/Refusal`` for a CSV cell that cannot be written.
    public mutating func add(_ row: Row) throws(CSVFormat.Refusal) -> [UInt8] {
        let item = ExportItem(view: row.view, documentTitle: row.documentTitle, documentSHA256: row.documentSHA256, offsets: offsets(for: row))
        count += 1
        switch format {
        case .jsonl: return json.record(item)
        case .w3c: return w3c.record(item)
        case .csv: return try csv.record(item)
        case .brat, .html:
            var bytes: [UInt8] = []
            if gathered?.key != row.document {
                bytes = renderGathered()
                gathered = (row.document, row.text ?? DocumentText(""), row.documentTitle, [])
            }
            gathered?.items.append(item)
            return bytes
        }
    }

    /// The bytes after the last annotation: the end line or collection's close, with `cursor`.
    public mutating func end(cursor: String) -> [UInt8] {
        switch format {
        case .jsonl: return json.end(count: count, cursor: cursor)
        case .w3c: return w3c.end(exportedAt: now, cursor: cursor)
        case .csv: return []
        case .html: return renderGathered() + html.end(count: count, cursor: cursor)
        case .brat:
            return renderGathered() + TarArchive.entry(path: "annotation.conf", contents: brat.configuration(), modifiedSeconds: modifiedSeconds)
                + TarArchive.end
        }
    }

    /// The gathered document: brat's `PROJECT/DOCUMENT.txt` and `.ann` as tar entries, or the report's section.
    private mutating func renderGathered() -> [UInt8] {
        guard let document = gathered else { return [] }
        gathered = nil
        if format == .html { return html.document(document.items, text: document.text, key: document.key, title: document.title) }
        let base = "\(document.key.project.rawValue)/\(document.key.document.rawValue)"
        return TarArchive.entry(path: base + ".txt", contents: Array(document.text.text.utf8), modifiedSeconds: modifiedSeconds)
            + TarArchive.entry(path: base + ".ann", contents: brat.annotations(document.items), modifiedSeconds: modifiedSeconds)
    }

    /// The offset index of the row's document, built once per document (rows come in document order).
    private mutating func offsets(for row: Row) -> OffsetIndex? {
        guard let text = row.text else { return nil }
        if let index, index.key == row.document { return index.offsets }
        let built = OffsetIndex(text)
        index = (row.document, built)
        return built
    }
}
