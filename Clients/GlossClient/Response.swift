public import GlossProtocol

/// A request's answer: the untagged lines that came before the final reply, and the reply.
public struct Response: Sendable {
    /// Result lines (`* ANNOTATION`, `* CONFLICT`, `* DOC`, …).
    public let lines: [Line]
    /// The final `OK` line.
    public let reply: Line

    /// Creates a response.
    public init(lines: [Line], reply: Line) {
        self.lines = lines
        self.reply = reply
    }

    /// The result lines with `word`.
    public func lines(_ word: String) -> [Line] { lines.filter { $0.word == word } }
}
