import Foundation
import GlossCore
import GlossExport
import GlossStore

/// Turns the store's snapshot rows into a format's bytes, with progress on a terminal.
final class ExportWriter: @unchecked Sendable {
    private let format: ExportCommand.Format
    private let units: OffsetUnits
    private let file: ExportFile
    private var index: (key: DocumentKey, offsets: OffsetIndex)?
    private var brat = BratFormat()
    private let html = HTMLReportFormat()
    /// The document whose annotations brat or the HTML report is gathering (rows come in document order), with its text.
    private var gathered: (key: DocumentKey, text: DocumentText, title: String, items: [ExportItem])?
    private let modifiedSeconds = UInt64(Date().timeIntervalSince1970)

    init(format: ExportCommand.Format, units: OffsetUnits, file: ExportFile) {
        self.format = format
        self.units = units
        self.file = file
    }

    /// Writes the whole export, or with `resume` the rest of an interrupted one (JSON Lines);
    /// returns how many annotations and the cursor.
    func run(_ store: GlossStore, filter: AnnotationFilter, since: ExportCursor?, resume: ExportResume? = nil) async throws -> (count: Int, cursor: ExportCursor) {
        let json = JSONLinesFormat(units: units)
        let csv = CSVFormat(units: units)
        var w3c = WebAnnotationFormat()
        let now = HLCTimestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000), logical: 0)
        var progress = ExportProgress()
        var count = resume?.kept ?? 0
        var cursor: ExportCursor?
        try await store.export(filter, since: since, after: resume?.after, withText: !units.isEmpty || format == .brat || format == .html) { opening in
            // A resumed export ends with the cursor of the snapshot it began with, which must be this database's.
            if let resume { try GlossStore.check(resume.cursor, against: opening.cursor) }
            cursor = resume?.cursor ?? opening.cursor
            progress.start(total: count + opening.total)
            if resume != nil { return }
            switch format {
            case .jsonl: try file.write(json.header(exportedAt: now, cursor: opening.cursor.description, filter: ExportResume.headerFilter(filter, since: since)))
            case .w3c: try file.write(w3c.header())
            case .csv: try file.write(csv.header())
            case .brat: break
            case .html: try file.write(self.html.header(generated: now))
            }
        } row: { row in
            guard let view = row.state.view else { return }
            let item = ExportItem(view: view, documentTitle: row.documentTitle, documentSHA256: row.documentSHA256, offsets: self.offsets(for: row))
            switch self.format {
            case .jsonl: try self.file.write(json.record(item))
            case .w3c: try self.file.write(w3c.record(item))
            case .brat, .html: try self.gather(item, of: row)
            case .csv: try self.file.write(try csv.record(item))
            }
            count += 1
            progress.advance(to: count)
        }
        progress.finish()
        guard let cursor else { throw ExportFileError("the export ended before it began") }
        switch format {
        case .jsonl: try file.write(json.end(count: count, cursor: cursor.description))
        case .w3c: try file.write(w3c.end(exportedAt: now, cursor: cursor.description))
        case .csv: break
        case .html:
            try writeGatheredDocument()
            try file.write(html.end(count: count, cursor: cursor.description))
        case .brat:
            try writeGatheredDocument()
            try file.write(TarArchive.entry(path: "annotation.conf", contents: brat.configuration(), modifiedSeconds: modifiedSeconds))
            try file.write(TarArchive.end)
        }
        return (count, cursor)
    }

    /// Adds an item to its document's, writing the previous document once a new one begins.
    private func gather(_ item: ExportItem, of row: ExportRow) throws {
        if gathered?.key != row.position.document {
            try writeGatheredDocument()
            gathered = (row.position.document, row.text ?? DocumentText(""), row.documentTitle, [])
        }
        gathered?.items.append(item)
    }

    /// The gathered document: brat's `PROJECT/DOCUMENT.txt` and `.ann` as tar entries, or the report's section.
    private func writeGatheredDocument() throws {
        guard let document = gathered else { return }
        gathered = nil
        if format == .html {
            try file.write(html.document(document.items, text: document.text, key: document.key, title: document.title))
            return
        }
        let base = "\(document.key.project.rawValue)/\(document.key.document.rawValue)"
        try file.write(TarArchive.entry(path: base + ".txt", contents: Array(document.text.text.utf8), modifiedSeconds: modifiedSeconds))
        try file.write(TarArchive.entry(path: base + ".ann", contents: brat.annotations(document.items), modifiedSeconds: modifiedSeconds))
    }

    /// The offset index of the row's document, built once per document (rows come in document order).
    private func offsets(for row: ExportRow) -> OffsetIndex? {
        guard let text = row.text else { return nil }
        if let index, index.key == row.position.document { return index.offsets }
        let built = OffsetIndex(text)
        index = (row.position.document, built)
        return built
    }
}

/// A progress line on standard error, only when it is a terminal: count, rate and time left.
struct ExportProgress {
    private let shown = isatty(2) == 1
    private var total = 0
    private var started = Date()
    private var lastShown = Date.distantPast

    mutating func start(total: Int) {
        self.total = total
        started = Date()
    }

    mutating func advance(to count: Int) {
        guard shown, count % 1_000 == 0 else { return }
        let now = Date()
        guard now.timeIntervalSince(lastShown) >= 0.5 else { return }
        lastShown = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(count) / elapsed
        let left = rate > 0 ? Double(max(total - count, 0)) / rate : 0
        FileHandle.standardError.write(Data("\r\u{1B}[Kexported \(count) of \(total)  \(Int(rate))/s  about \(Int(left.rounded())) s left".utf8))
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
