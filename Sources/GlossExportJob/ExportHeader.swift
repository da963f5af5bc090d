public import GlossCore
public import GlossExport
public import GlossStore
import Foundation

/// The filter an export records in its JSON Lines header, as `glossd export` flags
/// name it (`project`, `documents`, `label`, `author`, `status`, `changed_after`,
/// `conflicted`, `include_deleted`, `since`), so that an interrupted export can be
/// resumed with the filter it began with. docs/EXPORT.md lists the keys.
public enum ExportHeader {
    /// The pairs for `filter` and `since`, in a fixed order (what ``filter(_:)`` reads back).
    public static func pairs(_ filter: AnnotationFilter, since: ExportCursor?) -> [(key: String, value: String)] {
        var pairs: [(key: String, value: String)] = []
        if let project = filter.project { pairs.append(("project", project.rawValue)) }
        if !filter.documents.isEmpty { pairs.append(("documents", filter.documents.map(\.rawValue).joined(separator: ","))) }
        if let label = filter.label { pairs.append(("label", label)) }
        if let author = filter.author { pairs.append(("author", author)) }
        if let status = filter.status { pairs.append(("status", status.rawValue)) }
        if let changed = filter.changedSince { pairs.append(("changed_after", changed.iso8601)) }
        if filter.onlyConflicted { pairs.append(("conflicted", "true")) }
        if filter.includeDeleted { pairs.append(("include_deleted", "true")) }
        if let since { pairs.append(("since", since.description)) }
        return pairs
    }

    /// The filter and `since` cursor that `pairs` records.
    ///
    /// - Throws: ``CoreError`` for an identifier, ``StoreError`` (`invalid-cursor`) for the cursor,
    ///   ``HeaderError`` for a value that is not what the key takes.
    public static func filter(_ pairs: [String: String]) throws -> (filter: AnnotationFilter, since: ExportCursor?) {
        let filter = AnnotationFilter(
            project: try pairs["project"].map { try ProjectID($0) },
            documents: try (pairs["documents"]?.split(separator: ",") ?? []).map { try DocumentID(String($0)) },
            label: pairs["label"], author: pairs["author"],
            status: try pairs["status"].map { text in
                guard let status = ReviewStatus(rawValue: text) else { throw HeaderError("status \(Excerpt.quoted(text)) is not open, accepted or rejected") }
                return status
            },
            changedSince: try pairs["changed_after"].map { text in
                guard let time = time(text) else { throw HeaderError("changed_after \(Excerpt.quoted(text)) is not an RFC 3339 time") }
                return time
            },
            includeDeleted: pairs["include_deleted"] == "true", onlyConflicted: pairs["conflicted"] == "true"
        )
        return (filter, try pairs["since"].map { try ExportCursor($0) })
    }

    /// An RFC 3339 time (with or without fractional seconds, any offset) as the hybrid logical
    /// clock timestamp of its millisecond; nil when it is not one or is before 1970.
    public static func time(_ text: String) -> HLCTimestamp? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text), date.timeIntervalSince1970 >= 0 else { return nil }
        return HLCTimestamp(milliseconds: UInt64((date.timeIntervalSince1970 * 1000).rounded()), logical: 0)
    }

    /// Offset units by name (`utf16`, `utf8`); nil for any other name.
    public static func units(_ names: [String]) -> OffsetUnits? {
        var units: OffsetUnits = []
        for name in names {
            switch name {
            case "utf16": units.insert(.utf16)
            case "utf8": units.insert(.utf8)
            default: return nil
            }
        }
        return units
    }

    /// A header value that is not what its key takes.
    public struct HeaderError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
