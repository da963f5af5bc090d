import Foundation
import GlossCore
import GlossClient
import GlossProtocol

/// Human and JSON renderings of what the server returns.
enum Output {
    /// Writes a line to standard output at once.
    static func say(_ text: String) {
        write(Data((text + "\n").utf8))
    }

    /// Writes to standard output; a reader that went away (`gloss ls | head`) ends the program quietly.
    static func write(_ data: Data) {
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            exit(0)
        }
    }

    /// One JSON object per line, keys sorted.
    static func json(_ object: [String: Any]) {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        write(data + Data("\n".utf8))
    }

    /// A hybrid logical timestamp as UTC time.
    static func time(_ hlc: UInt64) -> String {
        let date = Date(timeIntervalSince1970: Double(hlc >> 16) / 1000)
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// An annotation as a JSON object.
    static func object(_ record: AnnotationRecord, conflicts: [ConflictRecord] = []) -> [String: Any] {
        var object: [String: Any] = [
            "id": record.id.description, "project": record.project.rawValue, "document": record.document.rawValue, "start": record.start, "end": record.end,
            "quote": record.quote, "prefix": record.prefix, "suffix": record.suffix, "label": record.label, "note": record.note,
            "tags": record.tags, "status": record.status.rawValue, "comment": record.comment, "creator": record.creator,
            "created": time(record.created), "updated": time(record.updated), "updatedHLC": String(record.updated),
            "deleted": record.deletion, "conflictedFields": record.conflicts.map(\.rawValue),
        ]
        if !conflicts.isEmpty {
            object["conflicts"] = conflicts.map { ["field": $0.field.rawValue, "value": $0.value, "author": $0.author, "time": time($0.time)] }
        }
        return object
    }

    /// Another user's text for one line of output, control characters shown escaped (see ``TerminalText``).
    static func safe(_ text: String) -> String { TerminalText.line(text) }

    /// One line per annotation for listings.
    static func summary(_ record: AnnotationRecord) -> String {
        var parts = [record.id.description, "\(record.document) [\(record.start),\(record.end))", quoted(record.quote, limit: 40)]
        if !record.label.isEmpty { parts.append(safe(record.label)) }
        if !record.tags.isEmpty { parts.append("tags=" + safe(record.tags.joined(separator: ","))) }
        if record.status != .open { parts.append(record.status.rawValue) }
        if record.deletion != "live" { parts.append(record.deletion == "deleted" ? "DELETED" : "DELETE-CONFLICT (restore or delete again)") }
        if !record.conflicts.isEmpty { parts.append("CONFLICT on " + record.conflicts.map(\.rawValue).joined(separator: ",")) }
        return parts.joined(separator: "  ")
    }

    /// The full record with its conflicts, for `show`.
    static func details(_ record: AnnotationRecord, conflicts: [ConflictRecord]) -> String {
        var lines = [
            "annotation \(record.id)",
            "  document  \(record.document) [\(record.start), \(record.end))",
            "  text      …\(safe(record.prefix))[\(safe(record.quote))]\(safe(record.suffix))…",
            "  label     \(record.label.isEmpty ? "-" : safe(record.label))",
            "  note      \(record.note.isEmpty ? "-" : safe(record.note))",
            "  tags      \(record.tags.isEmpty ? "-" : safe(record.tags.joined(separator: ", ")))",
            "  review    \(record.status.rawValue)\(record.comment.isEmpty ? "" : " — \(safe(record.comment))")",
            "  created   by \(safe(record.creator)) at \(time(record.created))",
            "  updated   \(time(record.updated))",
        ]
        switch record.deletion {
        case "deleted": lines.append("  DELETED")
        case "delete-conflict":
            lines.append("  DELETE CONFLICT: deleted while someone edited it; keep it (gloss restore \(record.id)) or delete again (gloss rm \(record.id))")
        default: break
        }
        if !conflicts.isEmpty {
            lines.append("  conflicts (the value above wins until resolved: gloss resolve \(record.id) --FIELD VALUE)")
            for conflict in conflicts {
                lines.append("    \(conflict.field.rawValue): \(quoted(conflict.value, limit: 60)) by \(safe(conflict.author)) at \(time(conflict.time))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// Another user's text, cut to `limit` code points, escaped and quoted for one line of output.
    static func quoted(_ text: String, limit: Int) -> String {
        let scalars = Array(text.unicodeScalars)
        var shown = String(String.UnicodeScalarView(scalars.prefix(limit)))
        if scalars.count > limit { shown += "…" }
        return "\"" + safe(shown) + "\""
    }
}
