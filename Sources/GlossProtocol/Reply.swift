/// Builds and reads the server's final replies and closing lines.
///
/// A final reply carries the request's tag and the word `OK` (with named
/// results) or `ERR` followed by the stable code and a message:
/// `a1 ERR quote-not-found "…"`. A server closing the session first sends an
/// untagged `* BYE code "message"`.
public enum Reply {
    /// The word of a successful final reply.
    public static let okWord = "OK"
    /// The word of a failed final reply.
    public static let errorWord = "ERR"
    /// The word of the line sent before the server closes the session.
    public static let byeWord = "BYE"

    /// `tag OK [arguments]`.
    public static func ok(_ tag: String, _ arguments: [Argument] = []) -> Line {
        Line(tag: tag, word: okWord, arguments: arguments)
    }

    /// The longest message an `ERR` or `BYE` line carries, in code points. Messages
    /// quote only excerpts of what they refuse; this bound holds whatever a message says.
    public static let maximumMessageLength = 1_000

    /// `tag ERR code "message"`.
    public static func error(_ tag: String, _ error: ProtocolError) -> Line {
        Line(tag: tag, word: errorWord, arguments: [.positional(error.code.rawValue), .positional(bounded(error.message))])
    }

    /// `* BYE code "message"`.
    public static func bye(_ error: ProtocolError) -> Line {
        Line(tag: Line.untagged, word: byeWord, arguments: [.positional(error.code.rawValue), .positional(bounded(error.message))])
    }

    /// `message`, cut to ``maximumMessageLength`` code points.
    static func bounded(_ message: String) -> String {
        var scalars = message.unicodeScalars
        guard scalars.count > maximumMessageLength else { return message }
        scalars.removeSubrange(scalars.index(scalars.startIndex, offsetBy: maximumMessageLength - 1)...)
        return String(scalars) + "…"
    }

    /// The error an `ERR` or `BYE` line carries, or `nil` for any other line.
    public static func error(in line: Line) -> ProtocolError? {
        guard line.word == errorWord || line.word == byeWord else { return nil }
        let parts = line.positional
        return ProtocolError(ProtocolError.Code(parts.first ?? "internal"), parts.count > 1 ? parts[1] : "no message")
    }

    /// Whether `line` is the final reply to the request tagged `tag`.
    public static func isFinal(_ line: Line, for tag: String) -> Bool {
        line.tag == tag && (line.word == okWord || line.word == errorWord)
    }
}
