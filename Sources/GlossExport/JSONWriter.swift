public import GlossCore

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

    /// A time as an RFC 3339 string (``GlossCore/HLCTimestamp/iso8601``), written straight into the buffer.
    public mutating func time(_ value: HLCTimestamp, for key: String? = nil) {
        prefix(key)
        bytes.append(UInt8(ascii: "\""))
        value.appendISO8601(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
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
    ///
    /// Works on the string's UTF-8 bytes: runs that need no escape are copied whole, so
    /// the cost is one scan and a few copies, not one append per character.
    public static func appendString(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            var index = 0
            func flush() {
                if index > runStart { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index])) }
            }
            while index < utf8.count {
                let byte = utf8[index]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 {
                    flush()
                    switch byte {
                    case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                    case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                    case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                    case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                    case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                    default: appendEscape(UInt32(byte), to: &bytes)
                    }
                    index += 1
                    runStart = index
                } else if byte == 0xE2, index + 2 < utf8.count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 {
                    // U+2028 and U+2029, which end a line in JavaScript.
                    flush()
                    appendEscape(utf8[index + 2] == 0xA8 ? 0x2028 : 0x2029, to: &bytes)
                    index += 3
                    runStart = index
                } else {
                    index += 1
                }
            }
            flush()
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// `\uXXXX` for a code point below U+10000.
    private static func appendEscape(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u")])
        for shift in stride(from: 12, through: 0, by: -4) { bytes.append(hex[Int((value >> UInt32(shift)) & 0xF)]) }
    }
}
