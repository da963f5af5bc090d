import GlossClient
import GlossCore
import GlossProtocol

/// Renders a document's text with its annotated spans marked: in colour on a
/// terminal, or as `[quote]{LABEL}` brackets otherwise. Offsets are code points.
struct Highlighter {
    let text: String
    let annotations: [AnnotationRecord]

    /// The text with marks, then a numbered legend.
    func render(colour: Bool) -> String {
        let scalars = Array(text.unicodeScalars)
        let sorted = annotations.sorted { ($0.start, -$0.end) < ($1.start, -$1.end) }
        var opens: [Int: [Int]] = [:]
        var closes: [Int: [Int]] = [:]
        for (index, record) in sorted.enumerated() where record.start < record.end && record.end <= scalars.count {
            opens[record.start, default: []].append(index)
            closes[record.end, default: []].insert(index, at: 0)
        }
        var output = String.UnicodeScalarView()
        var depth = 0
        func append(_ text: String) { output.append(contentsOf: text.unicodeScalars) }
        for position in 0...scalars.count {
            for index in closes[position] ?? [] {
                depth -= 1
                if colour {
                    append("\u{1B}[0m")
                    if depth > 0 { append(Self.colours[(depth - 1) % Self.colours.count]) }
                    append("\u{1B}[2m{\(index + 1)}\u{1B}[0m")
                    if depth > 0 { append(Self.colours[(depth - 1) % Self.colours.count]) }
                } else {
                    append("]{\(sorted[index].label.isEmpty ? "\(index + 1)" : "\(index + 1):\(Output.safe(sorted[index].label))")}")
                }
            }
            for _ in opens[position] ?? [] {
                if colour { append(Self.colours[depth % Self.colours.count]) } else { append("[") }
                depth += 1
            }
            if position < scalars.count { output.append(contentsOf: TerminalText.shown(scalars, at: position).unicodeScalars) }
        }
        var lines = [String(output), ""]
        for (index, record) in sorted.enumerated() {
            var line = "\(index + 1). [\(record.start),\(record.end)) \(Output.quoted(record.quote, limit: 40))"
            if !record.label.isEmpty { line += " \(Output.safe(record.label))" }
            if !record.note.isEmpty { line += " — \(Output.safe(record.note))" }
            if !record.conflicts.isEmpty { line += "  CONFLICT on \(record.conflicts.map(\.rawValue).joined(separator: ","))" }
            line += "  \(record.id)"
            lines.append(line)
        }
        return lines.joined(separator: "\n")
    }

    /// Background colours for nested spans.
    static let colours = ["\u{1B}[43;30m", "\u{1B}[46;30m", "\u{1B}[45;30m", "\u{1B}[42;30m"]
}
