/// Splits a SQL script into its statements at top-level semicolons, leaving
/// semicolons inside quotes, dollar-quoted bodies and comments alone, so a
/// migration file can be run one statement at a time over the extended protocol.
public enum SQLScript {
    /// The statements of `script`, trimmed, without empty or comment-only ones.
    public static func statements(_ script: String) -> [String] {
        let bytes = Array(script.utf8)
        var statements: [String] = []
        var start = 0
        var index = 0
        var hasCode = false
        func flush(upTo end: Int) {
            let text = String(decoding: bytes[start..<end], as: UTF8.self).trimmingWhitespace()
            if hasCode, !text.isEmpty { statements.append(text) }
            hasCode = false
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                hasCode = true
                index = skipQuoted(bytes, from: index, quote: byte)
            case UInt8(ascii: "-") where next(bytes, index) == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where next(bytes, index) == UInt8(ascii: "*"):
                index = skipBlockComment(bytes, from: index)
            case UInt8(ascii: "$"):
                hasCode = true
                if let tagEnd = dollarTagEnd(bytes, from: index) {
                    let tag = Array(bytes[index...tagEnd])
                    index = tagEnd + 1
                    while index < bytes.count, !bytes[index...].starts(with: tag) { index += 1 }
                    index = min(bytes.count, index + tag.count)
                } else {
                    index += 1
                }
            case UInt8(ascii: ";"):
                flush(upTo: index)
                index += 1
                start = index
            default:
                if !isWhitespace(byte) { hasCode = true }
                index += 1
            }
        }
        flush(upTo: bytes.count)
        return statements
    }

    private static func next(_ bytes: [UInt8], _ index: Int) -> UInt8? {
        index + 1 < bytes.count ? bytes[index + 1] : nil
    }

    private static func skipQuoted(_ bytes: [UInt8], from start: Int, quote: UInt8) -> Int {
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == quote {
                if next(bytes, index) == quote { index += 2; continue }
                return index + 1
            }
            index += 1
        }
        return index
    }

    private static func skipBlockComment(_ bytes: [UInt8], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "/"), next(bytes, index) == UInt8(ascii: "*") {
                depth += 1
                index += 2
            } else if bytes[index] == UInt8(ascii: "*"), next(bytes, index) == UInt8(ascii: "/") {
                depth -= 1
                index += 2
                if depth == 0 { return index }
            } else {
                index += 1
            }
        }
        return index
    }

    /// The index of the closing `$` of a dollar-quote tag such as `$$` or `$body$` starting at `start`.
    private static func dollarTagEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        if start > 0, isIdentifierByte(bytes[start - 1]) { return nil }
        var index = start + 1
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "$") { return index }
            guard isIdentifierByte(bytes[index]), !(index == start + 1 && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index])) else {
                return nil
            }
            index += 1
        }
        return nil
    }

    private static func isIdentifierByte(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: "_") || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte >= 0x80
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
            let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
        else { return "" }
        return String(scalars[first...last])
    }
}
