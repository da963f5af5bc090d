public import GlossCore

/// Converts a document's code point offsets (Gloss's unit) to UTF-16 code units
/// (JavaScript, Java, UIMA) and UTF-8 bytes (Rust, Go, C), for consumers that
/// count that way.
///
/// Built once per document, in one pass over its text, so each conversion is
/// an array lookup rather than a walk from the start of the text.
public struct OffsetIndex: Sendable {
    /// For each code point offset 0…count, the UTF-16 units before it.
    private let utf16: [Int32]
    /// For each code point offset 0…count, the UTF-8 bytes before it.
    private let utf8: [Int32]

    /// The index of `text`.
    public init(_ text: DocumentText) {
        var utf16: [Int32] = [0]
        var utf8: [Int32] = [0]
        utf16.reserveCapacity(text.count + 1)
        utf8.reserveCapacity(text.count + 1)
        var units: Int32 = 0
        var bytes: Int32 = 0
        for scalar in text.scalars {
            units += scalar.value > 0xFFFF ? 2 : 1
            bytes += Int32(UTF8.width(scalar))
            utf16.append(units)
            utf8.append(bytes)
        }
        self.utf16 = utf16
        self.utf8 = utf8
    }

    /// How many code points the text has.
    public var count: Int { utf16.count - 1 }

    /// The UTF-16 offset of code point offset `offset` (0…``count``).
    public func utf16Offset(_ offset: Int) -> Int { Int(utf16[offset]) }

    /// The UTF-8 byte offset of code point offset `offset` (0…``count``).
    public func utf8Offset(_ offset: Int) -> Int { Int(utf8[offset]) }
}

/// The units an export gives offsets in, beside code points (always given).
public struct OffsetUnits: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// UTF-16 code units.
    public static let utf16 = OffsetUnits(rawValue: 1)
    /// UTF-8 bytes.
    public static let utf8 = OffsetUnits(rawValue: 2)
}
