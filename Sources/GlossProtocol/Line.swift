/// A line of the Gloss protocol, in either direction.
///
/// Every line is one UTF-8 line: a client request starts with the client's tag,
/// a final reply with the same tag, and untagged lines (results streamed before
/// the final reply, pushed events, the greeting) start with `*`.
public struct Line: Hashable, Sendable, CustomStringConvertible {
    /// The tag: the client's request tag, or `*` for untagged lines.
    public var tag: String
    /// The word after the tag: a verb in requests (upper-cased), `OK` or `ERR`
    /// in final replies, a kind such as `ANNOTATION` or `EVENT` in untagged lines.
    public var word: String
    /// The arguments, in order.
    public var arguments: [Argument]

    /// The tag of untagged lines.
    public static let untagged = "*"

    /// Creates a line.
    public init(tag: String, word: String, arguments: [Argument] = []) {
        self.tag = tag
        self.word = word
        self.arguments = arguments
    }

    /// Whether this is an untagged line.
    public var isUntagged: Bool { tag == Self.untagged }

    /// The positional arguments' values, in order.
    public var positional: [String] {
        arguments.compactMap { if case .positional(let value) = $0 { value } else { nil } }
    }

    /// The value of the named argument `key`, if present.
    public subscript(key: String) -> String? {
        for case .named(let name, let value) in arguments where name == key { return value }
        return nil
    }

    /// The line as sent on the wire, without the line feed.
    public var description: String { LinePrinter.print(self) }
}
