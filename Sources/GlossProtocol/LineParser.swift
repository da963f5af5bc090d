/// Parses protocol lines. Pure and total: any input gives a ``Line`` or a
/// ``ProtocolError``, never a crash.
///
/// Parsing works on Unicode scalars, not `Character`s, because `"\r\n"` is a
/// single `Character` in Swift.
public enum LineParser {
    /// The longest tag, verb or key accepted.
    public static let maximumWordLength = 32

    /// Parses one line's bytes (without its line feed; a trailing carriage return is ignored).
    ///
    /// - Throws: ``ProtocolError/Code/lineTooLong``, ``ProtocolError/Code/invalidUTF8`` or ``ProtocolError/Code/malformed``.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maximumLength: Int = 65_536) throws(ProtocolError) -> Line {
        guard bytes.count <= maximumLength else {
            throw ProtocolError(.lineTooLong, "the line has \(bytes.count) bytes; the limit is \(maximumLength)")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ProtocolError(.invalidUTF8, "the line is not valid UTF-8")
        }
        return try parse(text)
    }

    /// Parses one line of text (without its line feed; a trailing carriage return is ignored).
    public static func parse(_ text: String) throws(ProtocolError) -> Line {
        var scalars = Array(text.unicodeScalars)
        if scalars.last == "\r" { scalars.removeLast() }
        var cursor = Cursor(scalars: scalars)
        cursor.skipSpaces()
        let tag = cursor.word()
        guard tag == Line.untagged || isTag(tag) else {
            throw malformed(tag.isEmpty ? "the line is empty; expected a tag and a verb, such as `a1 PING`" : "'\(tag)' is not a tag: use 1 to 32 letters, digits, '.', '_' or '-'")
        }
        cursor.skipSpaces()
        let word = cursor.word()
        guard !word.isEmpty else { throw malformed("a tag must be followed by a verb, such as `\(tag) PING`") }
        guard word.count <= maximumWordLength, word.unicodeScalars.allSatisfy({ $0.isASCIILetter || $0 == "-" }) else {
            throw malformed("'\(word)' is not a verb: use letters and '-'")
        }
        var arguments: [Argument] = []
        while true {
            cursor.skipSpaces()
            guard !cursor.isAtEnd else { break }
            arguments.append(try argument(&cursor))
        }
        return Line(tag: tag, word: word.uppercased(), arguments: arguments)
    }

    private static func argument(_ cursor: inout Cursor) throws(ProtocolError) -> Argument {
        if cursor.peek == "\"" { return .positional(try quoted(&cursor)) }
        let start = cursor.position
        var key = ""
        while let scalar = cursor.peek, scalar != " ", scalar != "\t", scalar != "=", scalar != "\"" {
            key.unicodeScalars.append(scalar)
            cursor.advance()
        }
        if cursor.peek == "=", isKey(key) {
            cursor.advance()
            if cursor.peek == "\"" { return .named(key: key, value: try quoted(&cursor)) }
            let value = try bare(&cursor)
            return .named(key: key, value: value)
        }
        cursor.position = start
        return .positional(try bare(&cursor))
    }

    private static func bare(_ cursor: inout Cursor) throws(ProtocolError) -> String {
        var value = ""
        while let scalar = cursor.peek, scalar != " ", scalar != "\t" {
            guard scalar != "\"", !scalar.isControl else {
                throw malformed("unexpected \(scalar == "\"" ? "quote" : "control character") in a bare value; quote the value and escape it")
            }
            value.unicodeScalars.append(scalar)
            cursor.advance()
        }
        guard !value.isEmpty else { throw malformed("an empty value must be written as \"\"") }
        return value
    }

    private static func quoted(_ cursor: inout Cursor) throws(ProtocolError) -> String {
        cursor.advance()
        var value = ""
        while let scalar = cursor.peek {
            cursor.advance()
            switch scalar {
            case "\"":
                if let next = cursor.peek, next != " ", next != "\t" {
                    throw malformed("a closing quote must be followed by a space or the end of the line")
                }
                return value
            case "\\":
                value.unicodeScalars.append(try escape(&cursor))
            default:
                guard !scalar.isControl else { throw malformed("control characters inside quotes must be escaped (\\n, \\t, \\u{…})") }
                value.unicodeScalars.append(scalar)
            }
        }
        throw malformed("a quoted value is not closed")
    }

    private static func escape(_ cursor: inout Cursor) throws(ProtocolError) -> Unicode.Scalar {
        guard let scalar = cursor.peek else { throw malformed("the line ends inside an escape") }
        cursor.advance()
        switch scalar {
        case "\"": return "\""
        case "\\": return "\\"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "u":
            guard cursor.peek == "{" else { throw malformed("write \\u{HEX} for a code point escape") }
            cursor.advance()
            var hex = ""
            while let digit = cursor.peek, digit != "}" {
                hex.unicodeScalars.append(digit)
                cursor.advance()
            }
            guard cursor.peek == "}" else { throw malformed("an escape \\u{… is not closed") }
            cursor.advance()
            guard (1...6).contains(hex.count), let value = UInt32(hex, radix: 16), let decoded = Unicode.Scalar(value) else {
                throw malformed("\\u{\(hex)} is not a Unicode code point")
            }
            return decoded
        default:
            throw malformed("unknown escape \\\(scalar); use \\\", \\\\, \\n, \\r, \\t or \\u{HEX}")
        }
    }

    /// Whether `text` is a valid client tag: 1 to 32 letters, digits, `.`, `_` or `-`.
    public static func isTag(_ text: String) -> Bool {
        !text.isEmpty && text.unicodeScalars.count <= maximumWordLength
            && text.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "." || $0 == "_" || $0 == "-" }
    }

    static func isKey(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCIILetter, text.unicodeScalars.count <= maximumWordLength else { return false }
        return text.unicodeScalars.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == "_" || $0 == "-" }
    }

    private static func malformed(_ message: String) -> ProtocolError { ProtocolError(.malformed, message) }
}

/// A position in a line's scalars.
private struct Cursor {
    let scalars: [Unicode.Scalar]
    var position = 0

    var isAtEnd: Bool { position >= scalars.count }
    var peek: Unicode.Scalar? { isAtEnd ? nil : scalars[position] }

    mutating func advance() { position += 1 }

    mutating func skipSpaces() {
        while let scalar = peek, scalar == " " || scalar == "\t" { advance() }
    }

    /// Reads up to the next space.
    mutating func word() -> String {
        var word = ""
        while let scalar = peek, scalar != " ", scalar != "\t" {
            word.unicodeScalars.append(scalar)
            advance()
        }
        return word
    }
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 }
}
