public import GlossCore
public import GlossExport
public import GlossStore

/// Runs one export: reads the store's snapshot and renders each annotation in a
/// format, handing the bytes to `write` as they are made. `glossd export` writes
/// them to a file; the server's `EXPORT` streams them to a client.
public enum ExportJob {
    /// Where a resumed export goes on from.
    public struct Resumption: Sendable {
        /// The last annotation the interrupted export wrote; nil when it wrote none.
        public var after: ExportPosition?
        /// The cursor of the snapshot the interrupted export began with (its end line gets it too).
        public var asOf: ExportCursor
        /// Annotations already written.
        public var kept: Int

        public init(after: ExportPosition?, asOf: ExportCursor, kept: Int) {
            self.after = after
            self.asOf = asOf
            self.kept = kept
        }
    }

    /// Exports `filter` (after `since`, or the rest after `resume`) as `format`.
    ///
    /// A resumed export writes no opening (the interrupted one did) and ends with the
    /// interrupted export's cursor; see ``GlossStore/export(_:since:after:asOf:withText:opening:row:)``.
    ///
    /// - Parameters:
    ///   - started: called once before the first bytes, with how many annotations the export will hold in all.
    ///   - write: the next bytes, with how many annotations are written once they are.
    /// - Returns: how many annotations the export holds, and its cursor.
    /// - Throws: ``StoreError`` from the store (`invalid-cursor`, `unavailable`), ``CSVFormat/Refusal``,
    ///   and whatever `started` or `write` throw.
    public static func run(
        _ store: GlossStore, format: ExportFormat, units: OffsetUnits, filter: AnnotationFilter, since: ExportCursor?, resume: Resumption? = nil,
        now: HLCTimestamp, started: (_ total: Int) async throws -> Void = { _ in }, write: (_ bytes: [UInt8], _ count: Int) async throws -> Void
    ) async throws -> (count: Int, cursor: ExportCursor) {
        var renderer = ExportRenderer(format: format, units: units, now: now, count: resume?.kept ?? 0)
        var cursor: ExportCursor?
        try await store.export(filter, since: since, after: resume?.after, asOf: resume?.asOf, withText: format.needsText(units: units)) { opening in
            // A resumed export ends with the cursor of the snapshot it began with (the store checked it is this database's).
            cursor = resume?.asOf ?? opening.cursor
            try await started(renderer.count + opening.total)
            if resume == nil {
                try await write(renderer.opening(cursor: opening.cursor.description, filter: ExportHeader.pairs(filter, since: since)), 0)
            }
        } row: { row in
            guard let view = row.state.view else { return }
            let bytes = try renderer.add(
                ExportRenderer.Row(view: view, document: row.position.document, documentTitle: row.documentTitle, documentSHA256: row.documentSHA256, text: row.text)
            )
            try await write(bytes, renderer.count)
        }
        guard let cursor else { throw ExportNeverOpened() }
        try await write(renderer.end(cursor: cursor.description), renderer.count)
        return (renderer.count, cursor)
    }
}

/// The store ended an export without opening it (which it never does).
public struct ExportNeverOpened: Error, CustomStringConvertible {
    public var description: String { "the export ended before it began" }
}
