import Foundation
import GlossCore
import GlossExport
import GlossStore

/// An interrupted JSON Lines export found beside its destination, ready to go on:
/// the hidden partial file cut back to its last complete line, the header's filter,
/// offset units and snapshot cursor, the last annotation written, and how many.
///
/// The rest is read from a new snapshot, after the last annotation written (in
/// export order: project, document, span start, id); the file ends with the
/// original snapshot's cursor, so the next `--since` export delivers whatever
/// changed since the export began, including anything the resumed part missed.
struct ExportResume {
    /// The hidden partial file being continued.
    let partial: String
    /// The header's filter, as `glossd export` flags would give it.
    let filter: AnnotationFilter
    /// The header's `--since` cursor, if the export was incremental.
    let since: ExportCursor?
    /// The offset units beside code points.
    let units: OffsetUnits
    /// The original snapshot's cursor, which the resumed file ends with.
    let cursor: ExportCursor
    /// The last annotation written, nil when none was.
    let after: ExportPosition?
    /// Annotation lines already in the file.
    let kept: Int

    /// Finds the newest `.NAME.partial-PID` beside `destination`, cuts it back to its last
    /// complete line and reads it.
    ///
    /// - Throws: ``ExportFileError`` when there is none, or it is not a JSON Lines export this build wrote.
    init(destination: String) throws {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let candidates = names.filter { $0.hasPrefix(prefix) }.map { folder.appendingPathComponent($0).path }
        let dated = candidates.map { ($0, (try? FileManager.default.attributesOfItem(atPath: $0)[.modificationDate] as? Date) ?? .distantPast) }
        guard let newest = dated.max(by: { $0.1 < $1.1 })?.0 else {
            throw ExportFileError("no interrupted export of \(destination) to resume (no \(prefix)* beside it); run the export again without --resume")
        }
        partial = newest
        let data = try Data(contentsOf: URL(fileURLWithPath: newest), options: .alwaysMapped)
        guard let headerEnd = data.firstIndex(of: UInt8(ascii: "\n")) else {
            throw ExportFileError("\(newest) holds no complete header line; run the export again without --resume")
        }
        let header = try Self.object(data[data.startIndex..<headerEnd], in: newest)
        guard header["type"] as? String == "header", header["schema"] as? String == "gloss.export/1",
            let cursorText = header["cursor"] as? String, let cursor = try? ExportCursor(cursorText),
            let filterObject = header["filter"] as? [String: String], let offsets = header["offsets"] as? [String]
        else {
            throw ExportFileError("\(newest) is not a JSON Lines export (gloss.export/1) that can be resumed; run the export again without --resume")
        }
        self.cursor = cursor
        var units: OffsetUnits = []
        if offsets.contains("utf16") { units.insert(.utf16) }
        if offsets.contains("utf8") { units.insert(.utf8) }
        self.units = units
        do {
            filter = AnnotationFilter(
                project: try filterObject["project"].map { try ProjectID($0) },
                documents: try (filterObject["documents"]?.split(separator: ",") ?? []).map { try DocumentID(String($0)) },
                label: filterObject["label"], author: filterObject["author"], status: filterObject["status"].flatMap(ReviewStatus.init(rawValue:)),
                includeDeleted: filterObject["include_deleted"] == "true"
            )
            since = try filterObject["since"].map { try ExportCursor($0) }
        } catch {
            throw ExportFileError("the header of \(newest) holds a filter this build cannot read: \(error)")
        }
        // Everything after the last line feed is a line cut short by the interruption.
        let end = (data.lastIndex(of: UInt8(ascii: "\n")) ?? headerEnd) + 1
        let lines = data[data.startIndex..<end].split(separator: UInt8(ascii: "\n"))
        guard lines.last.map({ (try? Self.object($0, in: newest))?["type"] as? String }) != "end" else {
            throw ExportFileError("\(newest) is complete already (it has its end line); rename it to \(destination)")
        }
        kept = lines.count - 1
        if kept > 0, let last = lines.last {
            let record = try Self.object(last, in: newest)
            guard let project = record["project"] as? String, let document = record["document"] as? String, let start = record["start"] as? Int,
                let id = record["id"] as? String, let position = ExportPosition("\(project)/\(document)/\(start)/\(id)")
            else { throw ExportFileError("the last complete line of \(newest) is not an annotation record") }
            after = position
        } else {
            after = nil
        }
        guard truncate(newest, off_t(end - data.startIndex)) == 0 else {
            throw ExportFileError("cannot cut \(newest) back to its last complete line: \(String(cString: strerror(errno)))")
        }
    }

    private static func object(_ bytes: Data, in file: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw ExportFileError("\(file) holds a line that is not JSON; run the export again without --resume")
        }
        return object
    }

    /// The header's filter pairs for `filter` and `since`, in a fixed order (what ``init(destination:)`` reads back).
    static func headerFilter(_ filter: AnnotationFilter, since: ExportCursor?) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        if let project = filter.project { pairs.append(("project", project.rawValue)) }
        if !filter.documents.isEmpty { pairs.append(("documents", filter.documents.map(\.rawValue).joined(separator: ","))) }
        if let label = filter.label { pairs.append(("label", label)) }
        if let author = filter.author { pairs.append(("author", author)) }
        if let status = filter.status { pairs.append(("status", status.rawValue)) }
        if filter.includeDeleted { pairs.append(("include_deleted", "true")) }
        if let since { pairs.append(("since", since.description)) }
        return pairs
    }
}
