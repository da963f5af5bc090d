public import GlossCore

/// The HTML review report: one self-contained page (no scripts, no outside
/// resources, a Content-Security-Policy that forbids both) with, per document,
/// its text with every span highlighted by label, a legend, and beside it each
/// annotation's label, quote, note, tags, review state and conflicts.
///
/// Overlapping spans stay legible: the text is cut at every span boundary and
/// each piece underlined once per annotation covering it, in its label's colour,
/// so two or three layers show as stacked lines. Every piece carries
/// `data-annotations` (the ids covering it), so a reader or a test can gather a
/// span's text. Everything taken from the data is escaped (`&`, `<`, `>`, `"`,
/// `'`, and `\r` as `&#13;` so it survives HTML's line-end normalisation), and
/// user text is isolated with `<bdi>` so a right-to-left override stays inside it.
/// Notes and review comments keep their line breaks, and a long word (a label or
/// a note without spaces, a URL) wraps instead of widening the page.
public struct HTMLReportFormat: Sendable {
    /// A report format.
    public init() {}

    /// The page's start: the head with its styles, and the report's heading.
    public func header(generated: HLCTimestamp) -> [UInt8] {
        Array(
            """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
            <title>Gloss review report</title>
            <style>
            \(Self.styles)
            </style>
            </head>
            <body>
            <h1>Gloss review report</h1>
            <p class="meta">Generated \(generated.iso8601). Offsets count code points.</p>

            """.utf8
        )
    }

    /// One document's section: its text with the annotations' spans highlighted, a legend, and the list beside it.
    public func document(_ items: [ExportItem], text: DocumentText, key: DocumentKey, title: String) -> [UInt8] {
        var html = "<section class=\"document\" id=\"\(Self.escaped(key.description))\">\n"
        html += "<h2><bdi>\(Self.escaped(title))</bdi></h2>\n"
        html += "<p class=\"meta\">\(Self.escaped(key.description)) · SHA-256 \(Self.escaped(items.first?.documentSHA256 ?? text.sha256)) · \(items.count) annotation\(items.count == 1 ? "" : "s")</p>\n"
        var labels: [String] = []
        for item in items where !labels.contains(item.view.label.value) { labels.append(item.view.label.value) }
        html += "<ul class=\"legend\">"
        for label in labels { html += "<li><span class=\"swatch\" style=\"background:\(Self.colour(of: label))\"></span><bdi>\(Self.escaped(Self.shown(label)))</bdi></li>" }
        html += "</ul>\n<div class=\"columns\">\n<div class=\"text\">"
        html += Self.highlighted(text, items)
        html += "</div>\n<ol class=\"annotations\">\n"
        for item in items { html += Self.entry(item) }
        html += "</ol>\n</div>\n</section>\n"
        return Array(html.utf8)
    }

    /// The page's end: how many annotations, and the cursor for the next export.
    public func end(count: Int, cursor: String) -> [UInt8] {
        Array("<p class=\"meta\">\(count) annotation\(count == 1 ? "" : "s"). Cursor: <code>\(Self.escaped(cursor))</code></p>\n</body>\n</html>\n".utf8)
    }

    /// The text cut at every span boundary; each piece covered by annotations is a
    /// `<span>` underlined once per annotation, in the order the annotations start.
    static func highlighted(_ text: DocumentText, _ items: [ExportItem]) -> String {
        var boundaries = Set([0, text.count])
        for item in items {
            let span = item.view.span.value
            boundaries.insert(min(span.start, text.count))
            boundaries.insert(min(span.end, text.count))
        }
        let cuts = boundaries.sorted()
        var html = ""
        for (from, to) in zip(cuts, cuts.dropFirst()) where from < to {
            let piece = escaped(String(String.UnicodeScalarView(text.scalars[from..<to])))
            let covering = items.filter { $0.view.span.value.start <= from && $0.view.span.value.end >= to }
            guard !covering.isEmpty else {
                html += piece
                continue
            }
            let lines = covering.enumerated().map { "inset 0 -\(3 * ($0.offset + 1))px 0 \(colour(of: $0.element.view.label.value))" }
            let ids = covering.map { "\($0.view.id)" }.joined(separator: " ")
            let labels = escaped(covering.map { shown($0.view.label.value) }.joined(separator: ", "))
            html += "<span class=\"hl\" data-annotations=\"\(ids)\" title=\"\(labels)\" style=\"box-shadow:\(lines.joined(separator: ",")); padding-bottom:\(3 * covering.count)px\">\(piece)</span>"
        }
        return html
    }

    /// One annotation in the list: label, quote, note, tags, review, conflicts and its id.
    static func entry(_ item: ExportItem) -> String {
        let view = item.view
        let span = view.span.value
        var html = "<li class=\"annotation\(item.isDeleted ? " deleted" : "")\" id=\"a-\(view.id)\">"
        html += "<span class=\"swatch\" style=\"background:\(colour(of: view.label.value))\"></span><b><bdi>\(escaped(shown(view.label.value)))</bdi></b>"
        html += " <q><bdi>\(escaped(span.quote))</bdi></q> <span class=\"offsets\">\(span.start)–\(span.end)</span>"
        if !view.note.value.isEmpty { html += "<p class=\"note\"><bdi>\(escaped(view.note.value))</bdi></p>" }
        if !view.tags.isEmpty { html += "<p class=\"tags\">" + view.tags.map { "<span class=\"tag\"><bdi>\(escaped($0))</bdi></span>" }.joined(separator: " ") + "</p>" }
        let review = view.review.value
        html += "<p class=\"review \(review.status.rawValue)\">Review: \(review.status.rawValue)"
        if !review.comment.isEmpty { html += " — <bdi>\(escaped(review.comment))</bdi>" }
        html += "</p>"
        var conflicts: [String] = []
        for entry in view.span.conflicts { conflicts.append("span <q><bdi>\(escaped(entry.value.quote))</bdi></q> (\(entry.value.start)–\(entry.value.end))" + by(entry.author)) }
        for entry in view.label.conflicts { conflicts.append("label <bdi>\(escaped(shown(entry.value)))</bdi>" + by(entry.author)) }
        for entry in view.note.conflicts { conflicts.append("note <bdi>\(escaped(entry.value))</bdi>" + by(entry.author)) }
        for entry in view.review.conflicts { conflicts.append("review \(entry.value.status.rawValue)" + by(entry.author)) }
        if item.hasDeleteConflict { conflicts.append("deleted, while others edited it") }
        if !conflicts.isEmpty { html += "<p class=\"conflicts\">Conflicts: " + conflicts.joined(separator: "; ") + "</p>" }
        if item.isDeleted { html += "<p class=\"review\">Deleted</p>" }
        html += "<p class=\"meta\">by <bdi>\(escaped(view.creator))</bdi>, \(view.createdAt.iso8601) · \(view.id)</p></li>\n"
        return html
    }

    private static func by(_ author: String) -> String { " by <bdi>\(escaped(author))</bdi>" }

    private static func shown(_ label: String) -> String { label.isEmpty ? "(no label)" : label }

    /// `value` escaped for HTML text and attribute values.
    static func escaped(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\r": result += "&#13;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A label's colour: a hue from the label's bytes (FNV-1a), the same in every report.
    static func colour(of label: String) -> String {
        var hash: UInt32 = 2_166_136_261
        for byte in label.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
        return "hsl(\(hash % 360),70%,42%)"
    }

    private static let styles = """
        body { font: 15px/1.5 system-ui, sans-serif; margin: 2em; color: #1a1a1a; overflow-wrap: anywhere; }
        .meta { color: #555; font-size: 0.85em; }
        .document { border-top: 2px solid #ccc; margin-top: 2em; padding-top: 1em; }
        .columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 2em; }
        .text { white-space: pre-wrap; line-height: 2.2; font-family: Georgia, serif; }
        .hl { background: rgba(255, 230, 120, 0.35); }
        .legend { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: 1em; }
        .swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.3em; vertical-align: -0.1em; border-radius: 2px; }
        .annotations { padding-left: 1.5em; }
        .annotation { margin-bottom: 0.8em; break-inside: avoid; }
        .annotation p { margin: 0.1em 0; }
        .note, .review, .conflicts { white-space: pre-wrap; }
        .deleted { text-decoration: line-through; color: #777; }
        .tag { background: #eee; border-radius: 3px; padding: 0 0.3em; }
        .review.accepted { color: #1b6e1b; } .review.rejected { color: #a31515; }
        .conflicts { color: #8a4b00; }
        .offsets { color: #777; font-size: 0.8em; }
        * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
        @media print { body { margin: 0; } .columns { display: block; } .document { break-before: page; } }
        """
}
