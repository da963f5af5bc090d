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

    /// A new time-ordered version-7 UUID (RFC 9562): the milliseconds since 1970
    /// in the first 48 bits, then 74 random bits. Ids made one after another sort
    /// near each other, so new rows land on the same few index pages instead of
    /// anywhere in the primary key.
    public static func timeOrdered<G: RandomNumberGenerator>(milliseconds: UInt64, using generator: inout G) -> AnnotationID {
        let high = (milliseconds & 0xFFFF_FFFF_FFFF) << 16 | 0x7000 | (generator.next() & 0x0FFF)
        let low = (generator.next() & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60)
        return AnnotationID(high: high, low: low)
    }

    public var description: String {
        // 8-4-4-4-12 lower-case hex digits, written straight into the string's UTF-8 storage.
        String(unsafeUninitializedCapacity: 36) { buffer in
            let digits: StaticString = "0123456789abcdef"
            var index = 0
            for position in 0..<32 {
                if position == 8 || position == 12 || position == 16 || position == 20 {
                    buffer[index] = UInt8(ascii: "-")
                    index += 1
                }
                let word = position < 16 ? high : low
                buffer[index] = digits.utf8Start[Int((word >> UInt64(60 - 4 * (position % 16))) & 0xF)]
                index += 1
            }
            return index
        }
    }

    public static func < (lhs: AnnotationID, rhs: AnnotationID) -> Bool {
        (lhs.high, lhs.low) < (rhs.high, rhs.low)
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
        CoreError(.invalidIdentifier, "annotation id \(Excerpt.quoted(text)) is not a UUID such as 3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b")
    }
}
