/// The identity of an annotation: a random 128-bit UUID chosen when it is created.
///
/// Written as the canonical lower-case form `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`.
public struct AnnotationID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The high 64 bits.
    public let high: UInt64
    /// The low 64 bits.
    public let low: UInt64

    /// Wraps the two halves of the 128-bit value.
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Parses the UUID text form (either letter case).
    public init(_ text: String) throws(CoreError) {
        var digits: [UInt8] = []
        digits.reserveCapacity(32)
        var index = 0
        for byte in text.utf8 {
            defer { index += 1 }
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { throw Self.invalid(text) }
                continue
            }
            guard let digit = Self.hexValue(byte) else { throw Self.invalid(text) }
            digits.append(digit)
        }
        guard index == 36, digits.count == 32 else { throw Self.invalid(text) }
        high = digits[0..<16].reduce(0) { $0 << 4 | UInt64($1) }
        low = digits[16..<32].reduce(0) { $0 << 4 | UInt64($1) }
    }

    /// A new random version-4 UUID.
    public static func random<G: RandomNumberGenerator>(using generator: inout G) -> AnnotationID {
        let high = (generator.next() & ~UInt64(0xF000)) | 0x4000
        let low = (generator.next() & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60)
        return AnnotationID(high: high, low: low)
    }

    /// A new random version-4 UUID from the system's generator.
    public static func random() -> AnnotationID {
        var generator = SystemRandomNumberGenerator()
        return random(using: &generator)
    }

    public var description: String {
        let hex = Self.hex(high, width: 16) + Self.hex(low, width: 16)
        let characters = Array(hex)
        return String(characters[0..<8]) + "-" + String(characters[8..<12]) + "-" + String(characters[12..<16]) + "-"
            + String(characters[16..<20]) + "-" + String(characters[20..<32])
    }

    public static func < (lhs: AnnotationID, rhs: AnnotationID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
    }

    private static func hex(_ value: UInt64, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: width - digits.count) + digits
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func invalid(_ text: String) -> CoreError {
        CoreError(.invalidIdentifier, "annotation id '\(text)' is not a UUID such as 3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b")
    }
}
