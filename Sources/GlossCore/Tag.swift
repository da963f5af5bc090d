/// A tag name compared by its exact code points.
///
/// Swift's `String` equality and hashing use canonical equivalence, so "café"
/// written precomposed and decomposed would be one key whose stored bytes
/// depend on arrival order. Tags are keyed by their UTF-8 bytes instead, so
/// every replica stores the same bytes.
public struct Tag: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The tag text.
    public let name: String

    /// Wraps a tag name.
    public init(_ name: String) { self.name = name }

    public static func == (lhs: Tag, rhs: Tag) -> Bool { lhs.name.utf8.elementsEqual(rhs.name.utf8) }
    public func hash(into hasher: inout Hasher) {
        for byte in name.utf8 { hasher.combine(byte) }
    }
    public static func < (lhs: Tag, rhs: Tag) -> Bool { lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8) }
    public var description: String { name }

    /// Tags sorted by bytes with exact repeats removed.
    static func canonical(_ names: [String]) -> [String] {
        Array(Set(names.map(Tag.init))).sorted().map(\.name)
    }
}
