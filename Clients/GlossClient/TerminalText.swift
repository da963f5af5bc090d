import GlossCore

/// Other people's text made safe to print on a terminal.
///
/// Labels, notes, quotes, titles, names and server messages come from other
/// users; printed raw, an escape sequence in them could clear the screen, fake
/// a status line or retitle the window, and a bidirectional override could make
/// text read in another order than it is stored. Every character
/// ``Excerpt/isUnsafe(_:)`` names (C0 and C1 controls, ESC, DEL, line and
/// paragraph separators, bidirectional controls) is shown as a visible escape
/// such as `\u{1b}`; nothing else changes. JSON output is not passed through
/// here: it stays exact.
public enum TerminalText {
    /// `text` for one line of output: line breaks show as `⏎`, tabs as `\t`,
    /// every other unsafe character as `\u{…}`.
    public static func line<Text: StringProtocol>(_ text: Text) -> String {
        var shown = ""
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                shown += "⏎"
            } else if Excerpt.isUnsafe(scalar) {
                shown += Excerpt.escaped(scalar)
            } else {
                shown.unicodeScalars.append(scalar)
            }
        }
        return shown
    }

    /// `text` printed as a block (a document's body): line feeds, tabs and the
    /// carriage return of a CRLF line end stay as they are; every other unsafe
    /// character shows as an escape.
    public static func block<Text: StringProtocol>(_ text: Text) -> String {
        let scalars = Array(text.unicodeScalars)
        return scalars.indices.map { shown(scalars, at: $0) }.joined()
    }

    /// The scalar at `position` of a block as ``block(_:)`` prints it.
    public static func shown(_ scalars: [Unicode.Scalar], at position: Int) -> String {
        let scalar = scalars[position]
        let lineEnd = scalar == "\n" || scalar == "\t" || (scalar == "\r" && position + 1 < scalars.count && scalars[position + 1] == "\n")
        return lineEnd || !Excerpt.isUnsafe(scalar) ? String(scalar) : Excerpt.escaped(scalar)
    }
}
