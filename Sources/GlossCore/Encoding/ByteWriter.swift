/// Appends the primitives of Gloss's binary encoding: LEB128 variable-length
/// unsigned integers, length-prefixed UTF-8 strings and single bytes.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []

    /// An empty writer.
    public init() {}

    /// Appends one byte.
    public mutating func write(byte: UInt8) { bytes.append(byte) }

    /// Appends an unsigned integer in LEB128 (7 bits per byte, low bits first).
    public mutating func write(varint value: UInt64) {
        var remaining = value
        while remaining >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: remaining) | 0x80)
            remaining >>= 7
        }
        bytes.append(UInt8(remaining))
    }

    /// Appends a non-negative integer as a varint.
    public mutating func write(count value: Int) { write(varint: UInt64(value)) }

    /// Appends a string as its UTF-8 length followed by its UTF-8 bytes.
    public mutating func write(string: String) {
        write(count: string.utf8.count)
        bytes.append(contentsOf: string.utf8)
    }

    /// Appends a 64-bit value as 8 bytes, most significant first.
    public mutating func write(fixed value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
