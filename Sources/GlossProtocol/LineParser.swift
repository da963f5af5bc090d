import GlossCore

/// Parses protocol lines. Pure and total: any input gives a ``Line`` or a
/// ``ProtocolError``, never a crash.
///
/// Parsing works on the line's UTF-8 bytes (never on `Character`s: `"\r\n"` is
/// one `Character` in Swift). It reads the tag and the verb first and stops at
/// the first fault, so a junk line costs a few dozen bytes of work however long
/// it is, and an error quotes at most a short excerpt of what it refuses.
public enum LineParser {
    /// The longest tag, verb or key accepted.
    public static let maximumWordLength = 32

    /// Parses one line's bytes (without its line feed; a trailing carriage return is ignored).
    ///
    /// - Throws: ``ProtocolError/Code/lineTooLong``, ``ProtocolError/Code/invalidUTF8``,
    ///   ``ProtocolError/Code/invalidCharacter`` (a `\u{0}` escape) or ``ProtocolError/Code/malformed``.
    public static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes, maximumLength: Int = 65_536) throws(ProtocolError) -> Line {
        guard bytes.count <= maximumLength else {
            throw ProtocolError(.lineTooLong, "the line has \(bytes.count) bytes; the limit is \(maximumLength)")
        }
        let parsed = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(ProtocolError) in try parse(buffer) }
        }
        if let parsed { return try parsed.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in Result { () throws(ProtocolError) in try parse(buffer) } }.get()
    }

    /// Parses one line of text (without its line feed; a trailing carriage return is ignored).
    public static func parse(_ text: String) throws(ProtocolError) -> Line {
        try parse(Array(text.utf8), maximumLength: .max)
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>) throws(ProtocolError) -> Line {
        var end = buffer.count
        if end > 0, buffer[end - 1] == Byte.carriageReturn { end -= 1 }
        var cursor = ByteCursor(bytes: buffer, end: end)
        cursor.skipSpaces()
        let tagRange = cursor.word(limit: maximumWordLength)
        let tag = cursor.text(tagRange)
        guard tag == Line.untagged || (tagRange.count <= maximumWordLength && isTag(tag)) else {
            try cursor.requireValidUTF8(upTo: tagRange.upperBound)
            throw malformed(
                tagRange.isEmpty
                    ? "the line is empty; expected a tag and a verb, such as `a1 PING`"
                    : "\(Excerpt.quoted(cursor.text(tagRange.prefix(maximumWordLength)))) is not a tag: use 1 to 32 letters, digits, '.', '_' or '-'"
            )
        }
        cursor.skipSpaces()
        let wordRange = cursor.word(limit: maximumWordLength)
        let word = cursor.text(wordRange)
        guard !word.isEmpty else { throw malformed("a tag must be followed by a verb, such as `\(tag) PING`") }
        guard wordRange.count <= maximumWordLength, word.utf8.allSatisfy({ Byte.isLetter($0) || $0 == UInt8(ascii: "-") }) else {
            try cursor.requireValidUTF8(upTo: wordRange.upperBound)
            throw malformed("\(Excerpt.quoted(cursor.text(wordRange.prefix(maximumWordLength)))) is not a verb: use letters and '-'")
        }
        try cursor.requireValidUTF8(upTo: end)
        var arguments: [Argument] = []
        while true {
            cursor.skipSpaces()
            guard !cursor.isAtEnd else { break }
            arguments.append(try argument(&cursor))
        }
        return Line(tag: tag, word: word.uppercased(), arguments: arguments)
    }

    private static func argument(_ cursor: inout ByteCursor) throws(ProtocolError) -> Argument {
        if cursor.peek == Byte.quote { return .positional(try quoted(&cursor)) }
        let start = cursor.position
        while let byte = cursor.peek, byte != Byte.space, byte != Byte.tab, byte != Byte.equals, byte != Byte.quote { cursor.advance() }
        let keyRange = start..<cursor.position
        if cursor.peek == Byte.equals, keyRange.count <= maximumWordLength, isKey(cursor.text(keyRange)) {
            let key = cursor.text(keyRange)
            cursor.advance()
            if cursor.peek == Byte.quote { return .named(key: key, value: try quoted(&cursor)) }
            return .named(key: key, value: try bare(&cursor))
        }
        cursor.position = start
        return .positional(try bare(&cursor))
    }

    private static func bare(_ cursor: inout ByteCursor) throws(ProtocolError) -> String {
        let start = cursor.position
        while let byte = cursor.peek, byte != Byte.space, byte != Byte.tab {
            if byte == Byte.quote { throw malformed("unexpected quote in a bare value; quote the value and escape it") }
            if cursor.controlLength() > 0 { throw malformed("unexpected control character in a bare value; quote the value and escape it") }
            cursor.advance()
        }
        guard cursor.position > start else { throw malformed("an empty value must be written as \"\"") }
        return cursor.text(start..<cursor.position)
    }

    private static func quoted(_ cursor: inout ByteCursor) throws(ProtocolError) -> String {
        cursor.advance()
        var start = cursor.position
        var decoded: [UInt8] = []
        while let byte = cursor.peek {
            switch byte {
            case Byte.quote:
                let value: String
                if decoded.isEmpty {
                    value = cursor.text(start..<cursor.position)
                } else {
                    decoded.append(contentsOf: cursor.bytes[start..<cursor.position])
                    value = String(decoding: decoded, as: UTF8.self)
                }
                cursor.advance()
                if let next = cursor.peek, next != Byte.space, next != Byte.tab {
                    throw malformed("a closing quote must be followed by a space or the end of the line")
                }
                return value
            case Byte.backslash:
                decoded.append(contentsOf: cursor.bytes[start..<cursor.position])
                cursor.advance()
                try escape(&cursor, into: &decoded)
                start = cursor.position
            default:
                if cursor.controlLength() > 0 { throw malformed("control characters inside quotes must be escaped (\\n, \\t, \\u{…})") }
                cursor.advance()
            }
        }
        throw malformed("a quoted value is not closed")
    }

    private static func escape(_ cursor: inout ByteCursor, into decoded: inout [UInt8]) throws(ProtocolError) {
        guard let byte = cursor.peek else { throw malformed("the line ends inside an escape") }
        cursor.advance()
        switch byte {
        case Byte.quote: decoded.append(Byte.quote)
        case Byte.backslash: decoded.append(Byte.backslash)
        case UInt8(ascii: "n"): decoded.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "r"): decoded.append(Byte.carriageReturn)
        case UInt8(ascii: "t"): decoded.append(Byte.tab)
        case UInt8(ascii: "u"):
            guard cursor.peek == UInt8(ascii: "{") else { throw malformed("write \\u{HEX} for a code point escape") }
            cursor.advance()
            let start = cursor.position
            while let digit = cursor.peek, digit != UInt8(ascii: "}"), cursor.position - start <= 6 { cursor.advance() }
            guard cursor.peek == UInt8(ascii: "}") else { throw malformed("an escape \\u{… is not closed after at most 6 hexadecimal digits") }
            let hex = cursor.text(start..<cursor.position)
            cursor.advance()
            guard (1...6).contains(hex.utf8.count), hex.utf8.allSatisfy(Byte.isHexDigit), let value = UInt32(hex, radix: 16),
                let scalar = Unicode.Scalar(value)
            else {
                throw malformed("\\u{\(Excerpt.of(hex))} is not a Unicode code point")
            }
            guard scalar != "\u{0}" else {
                throw ProtocolError(.invalidCharacter, "\\u{0} (NUL) is not allowed in any value: Gloss cannot store it; remove it")
            }
            decoded.append(contentsOf: UTF8.encode(scalar)!)
        default:
            throw malformed("unknown escape \\\(Excerpt.escaped(Unicode.Scalar(byte))); use \\\", \\\\, \\n, \\r, \\t or \\u{HEX}")
        }
    }

    /// The tag a line starts with, read the way ``parse(_:maximumLength:)`` reads it
    /// (leading spaces skipped, a final carriage return ignored), if it is a valid
    /// client tag: so that a line refused for any reason is answered under its tag.
    /// Reads at most the first few dozen bytes.
    public static func tag<Bytes: Collection<UInt8>>(in bytes: Bytes) -> String? {
        var word: [UInt8] = []
        var started = false
        for byte in bytes.prefix(4 * maximumWordLength) {
            if byte == Byte.space || byte == Byte.tab {
                if started { break }
                continue
            }
            started = true
            word.append(byte)
            guard word.count <= maximumWordLength + 1 else { return nil }
        }
        if word.last == Byte.carriageReturn { word.removeLast() }
        let text = String(decoding: word, as: UTF8.self)
        return isTag(text) ? text : nil
    }

    /// Whether `text` is a valid client tag: 1 to 32 letters, digits, `.`, `_` or `-`.
    public static func isTag(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.count <= maximumWordLength
            && text.utf8.allSatisfy { Byte.isLetter($0) || Byte.isDigit($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    static func isKey(_ text: String) -> Bool {
        guard let first = text.utf8.first, Byte.isLetter(first), text.utf8.count <= maximumWordLength else { return false }
        return text.utf8.allSatisfy { Byte.isLetter($0) || Byte.isDigit($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func malformed(_ message: String) -> ProtocolError { ProtocolError(.malformed, message) }
}

/// A position in a line's bytes.
private struct ByteCursor {
    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, end: Int) {
        self.bytes = bytes
        self.end = end
    }

    var isAtEnd: Bool { position >= end }
    var peek: UInt8? { isAtEnd ? nil : bytes[position] }

    mutating func advance() { position += 1 }

    mutating func skipSpaces() {
        while let byte = peek, byte == Byte.space || byte == Byte.tab { advance() }
    }

    /// Reads up to the next space, or one byte past `limit` (the rest of an overlong word is never read).
    mutating func word(limit: Int) -> Range<Int> {
        let start = position
        while let byte = peek, byte != Byte.space, byte != Byte.tab, position - start <= limit { advance() }
        return start..<position
    }

    /// The text of already validated bytes (or of a short prefix, repaired, for messages).
    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// Fails with ``ProtocolError/Code/invalidUTF8`` unless the bytes up to `limit` are valid UTF-8
    /// (a character that `limit` cuts in two counts as valid: the rest of it was not read).
    func requireValidUTF8(upTo limit: Int) throws(ProtocolError) {
        var cut = limit
        while cut > 0, cut < end, bytes[cut] & 0xC0 == 0x80 { cut -= 1 }
        guard String(validating: UnsafeBufferPointer(rebasing: bytes[0..<cut]), as: UTF8.self) != nil else {
            throw ProtocolError(.invalidUTF8, "the line is not valid UTF-8")
        }
    }

    /// The length of the control character at the cursor (in valid UTF-8), 0 when there is none:
    /// C0 controls, DEL, C1 controls (U+0080–U+009F) and the line and paragraph separators.
    func controlLength() -> Int {
        guard let byte = peek else { return 0 }
        if byte < 0x20 || byte == 0x7F { return 1 }
        if byte == 0xC2, position + 1 < end, (0x80...0x9F).contains(bytes[position + 1]) { return 2 }
        if byte == 0xE2, position + 2 < end, bytes[position + 1] == 0x80, bytes[position + 2] == 0xA8 || bytes[position + 2] == 0xA9 {
            return 3
        }
        return 0
    }
}

/// The bytes the grammar names.
enum Byte {
    static let space = UInt8(ascii: " ")
    static let tab = UInt8(ascii: "\t")
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let equals = UInt8(ascii: "=")
    static let carriageReturn = UInt8(ascii: "\r")

    static func isLetter(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

    static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
}

extension Unicode.Scalar {
    /// Control characters as the grammar counts them: C0, DEL, C1, U+2028 and U+2029.
    var isControl: Bool { value < 0x20 || (0x7F...0x9F).contains(value) || value == 0x2028 || value == 0x2029 }
}
