import Foundation

/// The hidden partial file of an interrupted JSON Lines export, found beside its
/// destination and cut back to its last complete line: what its header recorded
/// (the snapshot's cursor, the filter, the offset units), the position of the last
/// annotation written, and how many were. `glossd export --resume` and
/// `gloss export --resume` go on from it.
public struct ExportPartial {
    /// The hidden partial file.
    public let path: String
    /// The header's cursor: the snapshot the export began with.
    public let cursor: String
    /// The header's filter pairs (docs/EXPORT.md lists the keys).
    public let filter: [String: String]
    /// The header's offset units besides code points (`utf16`, `utf8`).
    public let offsets: [String]
    /// The last annotation written, as `project/document/start/id`; nil when none was.
    public let after: String?
    /// Annotation lines already in the file.
    public let kept: Int

    /// Finds the newest `.NAME.partial-PID` beside `destination`, cuts it back to its last
    /// complete line and reads it.
    ///
    /// - Throws: ``ExportFileError`` when there is none, it is complete, or it is not a
    ///   JSON Lines export (schema gloss.export/1).
    public init(destination: String) throws {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent()
        let prefix = ".\(url.lastPathComponent).partial-"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let candidates = names.filter { $0.hasPrefix(prefix) }.map { folder.appendingPathComponent($0).path }
        // Empty ones (an export that failed before writing) hold nothing to go on from.
        let dated = candidates.compactMap { path -> (String, Date)? in
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), (attributes[.size] as? Int ?? 0) > 0 else { return nil }
            return (path, attributes[.modificationDate] as? Date ?? .distantPast)
        }
        guard let newest = dated.max(by: { $0.1 < $1.1 })?.0 else {
            throw ExportFileError("no interrupted export of \(destination) to resume (no \(prefix)* beside it); run the export again without --resume")
        }
        path = newest
        let data = try Data(contentsOf: URL(fileURLWithPath: newest), options: .alwaysMapped)
        guard let headerEnd = data.firstIndex(of: UInt8(ascii: "\n")) else {
            throw ExportFileError("\(newest) holds no complete header line; run the export again without --resume")
        }
        let header = try Self.object(data[data.startIndex..<headerEnd], in: newest)
        guard header["type"] as? String == "header", header["schema"] as? String == "gloss.export/1", let cursor = header["cursor"] as? String,
            let filter = header["filter"] as? [String: String], let offsets = header["offsets"] as? [String]
        else {
            throw ExportFileError("\(newest) is not a JSON Lines export (gloss.export/1) that can be resumed; run the export again without --resume")
        }
        if let problem = Self.problem(in: filter) {
            throw ExportFileError("the header of \(newest) holds a filter this build cannot read (\(problem)); run the export again without --resume")
        }
        (self.cursor, self.filter, self.offsets) = (cursor, filter, offsets.filter { $0 != "codepoints" })
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
                let id = record["id"] as? String
            else { throw ExportFileError("the last complete line of \(newest) is not an annotation record") }
            after = "\(project)/\(document)/\(start)/\(id)"
        } else {
            after = nil
        }
        guard truncate(newest, off_t(end - data.startIndex)) == 0 else {
            throw ExportFileError("cannot cut \(newest) back to its last complete line: \(String(cString: strerror(errno)))")
        }
    }

    /// The filter keys an export header may hold (docs/EXPORT.md).
    public static let filterKeys: Set<String> = ["project", "documents", "label", "author", "status", "changed_after", "conflicted", "include_deleted", "since"]

    /// What is wrong with a header's filter, or nil: an unknown key, or a value its key does not take.
    static func problem(in filter: [String: String]) -> String? {
        if let unknown = filter.keys.sorted().first(where: { !filterKeys.contains($0) }) { return "no filter is named \(unknown)" }
        if let status = filter["status"], !["open", "accepted", "rejected"].contains(status) { return "status \(status) is not open, accepted or rejected" }
        for flag in ["conflicted", "include_deleted"] where filter[flag].map({ $0 != "true" }) ?? false { return "\(flag) is not \"true\"" }
        if let time = filter["changed_after"] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if formatter.date(from: time) == nil, ISO8601DateFormatter().date(from: time) == nil { return "changed_after is not an RFC 3339 time" }
        }
        return nil
    }

    private static func object(_ bytes: Data, in file: String) throws -> [String: Any] {
        guard let object = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw ExportFileError("\(file) holds a line that is not JSON; run the export again without --resume")
        }
        return object
    }
}
