/// One argument of a protocol line: a bare value, or `key=value`.
public enum Argument: Hashable, Sendable, CustomStringConvertible {
    /// A value without a name, such as a document id.
    case positional(String)
    /// A named value such as `label=PERSON` or `note="two words"`.
    case named(key: String, value: String)

    /// The value, named or not.
    public var value: String {
        switch self {
        case .positional(let value), .named(_, let value): value
        }
    }

    /// The key of a named argument.
    public var key: String? {
        if case .named(let key, _) = self { return key }
        return nil
    }

    public var description: String { LinePrinter.print(self) }
}
