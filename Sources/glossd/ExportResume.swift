import GlossExport
import GlossExportFiles
import GlossExportJob
import GlossStore

/// An interrupted JSON Lines export found beside its destination, ready to go on:
/// the hidden partial file cut back to its last complete line (``ExportPartial``),
/// with the header's filter, offset units and snapshot cursor read as values.
///
/// The rest is read from a new snapshot, after the last annotation written (in
/// export order: project, document, span start, id), leaving out annotations
/// changed since the export began: every line is then its annotation's state in
/// the original snapshot, each annotation at most once (one that moved past the
/// resume point is not written twice). The file ends with the original snapshot's
/// cursor, so the next `--since` export delivers what changed since the export
/// began, the annotations the resumed part left out among them.
struct ExportResume {
    /// The hidden partial file being continued.
    let partial: String
    /// The header's filter, as `glossd export` flags would give it.
    let filter: AnnotationFilter
    /// The header's `--since` cursor, if the export was incremental.
    let since: ExportCursor?
    /// The offset units beside code points.
    let units: OffsetUnits
    /// Where the export goes on from.
    let resumption: ExportJob.Resumption

    /// - Throws: ``ExportFileError`` when there is no partial file, or it is not a JSON Lines export this build wrote.
    init(destination: String) throws {
        let found = try ExportPartial(destination: destination)
        partial = found.path
        guard let cursor = try? ExportCursor(found.cursor), let units = ExportHeader.units(found.offsets) else {
            throw ExportFileError("\(found.path) is not a JSON Lines export (gloss.export/1) that can be resumed; run the export again without --resume")
        }
        self.units = units
        do {
            (filter, since) = try ExportHeader.filter(found.filter)
        } catch {
            throw ExportFileError("the header of \(found.path) holds a filter this build cannot read: \(error)")
        }
        var after: ExportPosition?
        if let text = found.after {
            guard let position = ExportPosition(text) else { throw ExportFileError("the last complete line of \(found.path) is not an annotation record") }
            after = position
        }
        resumption = ExportJob.Resumption(after: after, asOf: cursor, kept: found.kept)
    }
}
