/// Writes JSON (RFC 8259) into a byte buffer, keys in the order written, so the
/// same values always give the same bytes.
///
/// Strings are escaped as the RFC requires (`"`, `\`, and every control
/// character below U+0020) and also U+2028 and U+2029, which end a line in
/// JavaScript; everything else is written as its UTF-8 bytes.
public struct JSONWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8] = []
    private var needsComma: [Bool] = []

    /// An empty writer.
    public init() {}

    /// Starts an object: an element of an array, or the value of `key` in an object (each value takes `for:` the same way).
    public mutating func beginObject(for key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// Ends the innermost object.
    public mutating func endObject() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    /// Starts an array.
    public mutating func beginArray(for key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    /// Ends the innermost array.
    public mutating func endArray() {
        needsComma.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// A string value.
    public mutating func string(_ value: String, for key: String? = nil) {
        prefix(key)
        Self.appendString(value, to: &bytes)
    }

    /// A whole number.
    public mutating func number(_ value: Int, for key: String? = nil) {
        prefix(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    /// A boolean.
    public mutating func bool(_ value: Bool, for key: String? = nil) {
        prefix(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// `null`.
    public mutating func null(for key: String? = nil) {
        prefix(key)
        bytes.append(contentsOf: "null".utf8)
    }

    private mutating func prefix(_ key: String?) {
        if let last = needsComma.indices.last {
            if needsComma[last] { bytes.append(UInt8(ascii: ",")) }
            needsComma[last] = true
        }
        if let key {
            Self.appendString(key, to: &bytes)
            bytes.append(UInt8(ascii: ":"))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// `value` as a JSON string, quotes included.
    public static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case "\\": bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case "\n": bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case "\r": bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case "\t": bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                bytes.append(contentsOf: "\\u".utf8)
                for shift in stride(from: 12, through: 0, by: -4) { bytes.append(hex[Int((scalar.value >> UInt32(shift)) & 0xF)]) }
            default:
                bytes.append(contentsOf: UTF8.encode(scalar)!)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
