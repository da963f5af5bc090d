import Foundation
import GlossCore
import GlossExport
import GlossExportFiles
import GlossExportJob
import GlossStore

/// Writes an export from the store's snapshot to a file, with progress on a terminal.
/// Used by one task at a time (the export's), hence unchecked.
struct ExportWriter: @unchecked Sendable {
    let format: ExportFormat
    let units: OffsetUnits
    let file: ExportFile

    /// Writes the whole export, or with `resume` the rest of an interrupted one (JSON Lines);
    /// returns how many annotations and the cursor.
    func run(_ store: GlossStore, filter: AnnotationFilter, since: ExportCursor?, resume: ExportJob.Resumption? = nil) async throws -> (count: Int, cursor: ExportCursor) {
        var progress = ExportProgress()
        let now = HLCTimestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000), logical: 0)
        let result = try await ExportJob.run(store, format: format, units: units, filter: filter, since: since, resume: resume, now: now) { total in
            progress.start(total: total)
        } write: { bytes, count in
            try file.write(bytes)
            progress.advance(to: count)
        }
        progress.finish()
        return result
    }
}
