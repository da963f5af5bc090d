public import Foundation
public import GlossCore

/// The `OP` line, read and written in its one canonical form without the general
/// line parser: a catch-up carries millions of them, and this form is all a
/// sender writes.
///
/// The form is the prefix ``prefix``, then the operation's canonical encoding in
/// base64 (RFC 4648 alphabet, padded), and nothing else. It is exactly what
/// `LinePrinter` prints for ``PeerMessage/operation(_:)``: base64 holds no space,
/// quote or backslash, and an encoded operation is long enough that its base64
/// never reads as a `key=value` pair.
public enum OperationLine {
    /// What precedes the base64 on the line.
    public static let prefix = "* OP "
    private static let prefixBytes = Array(prefix.utf8)

    /// The operation on `line` (its bytes without the line feed) when the line has
    /// the canonical form; nil when it has any other form, which the general
    /// parser then reads (and answers exactly as it always has).
    /// - Throws: ``PeerError`` `peer-malformed` when the line has the form but its
    ///   bytes are not an operation's canonical encoding, or break its limits.
    public static func operation(in line: UnsafeRawBufferPointer) throws(PeerError) -> AnnotationOperation? {
        let count = line.count
        guard count > prefixBytes.count, line.starts(with: prefixBytes) else { return nil }
        var firstEquals: Int?
        for index in prefixBytes.count..<count {
            let byte = line[index]
            guard isBase64(byte) else { return nil }
            if byte == UInt8(ascii: "="), firstEquals == nil { firstEquals = index }
        }
        if let equals = firstEquals, looksLikeKey(line[prefixBytes.count..<equals]) { return nil }
        guard let start = line.baseAddress else { return nil }
        // The line's bytes as they are (no copy); the decoder only reads them.
        let base64 = Data(
            bytesNoCopy: UnsafeMutableRawPointer(mutating: start + prefixBytes.count), count: count - prefixBytes.count, deallocator: .none
        )
        return try operation(base64: base64)
    }

    /// The operation whose canonical encoding `base64` holds (RFC 4648, padded), validated.
    /// - Throws: ``PeerError`` `peer-malformed` for anything else.
    public static func operation(base64: Data) throws(PeerError) -> AnnotationOperation {
        guard let bytes = Data(base64Encoded: base64) else { throw PeerError.malformed("OP carries no base64") }
        do {
            let operation = try AnnotationOperation(decoding: bytes.withUnsafeBytes { Array($0.bindMemory(to: UInt8.self)) })
            try operation.validate()
            return operation
        } catch {
            throw PeerError.malformed("OP: \(error.message)")
        }
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            true
        default:
            false
        }
    }

    /// Whether the text before an `=` would make the general parser read a named argument.
    private static func looksLikeKey(_ bytes: Slice<UnsafeRawBufferPointer>) -> Bool {
        guard let first = bytes.first, bytes.count <= 32 else { return false }
        let isLetter = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(first) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first)
        return isLetter && !bytes.contains(UInt8(ascii: "+")) && !bytes.contains(UInt8(ascii: "/"))
    }
}
