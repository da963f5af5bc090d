/// A short, printable excerpt of text someone sent, for error messages.
///
/// Errors name what they refuse, but never repeat it whole: a two-megabyte
/// value would come back as a two-megabyte error, and control characters in it
/// would reach the reader's terminal. An excerpt keeps at most
/// ``defaultLimit`` code points, shows control characters, bidirectional
/// overrides and line separators as `\u{…}` escapes (`\n`, `\r`, `\t` for the
/// common ones), and says how much was left out.
public enum Excerpt {
    /// Code points kept by default.
    public static let defaultLimit = 40

    /// `text` shortened to `limit` code points with unsafe characters escaped,
    /// followed by `…(N more code points)` when it was longer.
    public static func of<Text: StringProtocol>(_ text: Text, limit: Int = defaultLimit) -> String {
        var shown = ""
        var count = 0
        var total = 0
        for scalar in text.unicodeScalars {
            total += 1
            guard count < limit else { continue }
            count += 1
            shown += escaped(scalar)
        }
        return total > count ? shown + "…(\(total - count) more code points)" : shown
    }

    /// `text` as an excerpt between double quotes.
    public static func quoted<Text: StringProtocol>(_ text: Text, limit: Int = defaultLimit) -> String {
        "\"" + of(text, limit: limit) + "\""
    }

    /// Whether a scalar must not reach a terminal or a log as is: C0 and C1
    /// controls, DEL, line and paragraph separators, and the bidirectional
    /// embedding, override and isolate controls (Unicode TR #9), which can make
    /// text display in another order than it is stored (CVE-2021-42574), and the
    /// invisible ones that can hide text (zero-width space, word joiners, the
    /// byte order mark, interlinear annotation marks). Joiners that emoji and
    /// scripts need (U+200C, U+200D) show as they are.
    public static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x2028, 0x2029: true
        case 0x200E, 0x200F, 0x061C: true
        case 0x202A...0x202E, 0x2066...0x2069: true
        case 0x200B, 0x2060...0x2064, 0xFEFF, 0xFFF9...0xFFFB: true
        default: false
        }
    }

    /// One scalar, escaped when unsafe.
    public static func escaped(_ scalar: Unicode.Scalar) -> String {
        guard isUnsafe(scalar) else { return String(scalar) }
        switch scalar {
        case "\n": return "\\n"
        case "\r": return "\\r"
        case "\t": return "\\t"
        default: return "\\u{" + String(scalar.value, radix: 16) + "}"
        }
    }
}
