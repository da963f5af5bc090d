/// Reads the primitives written by ``ByteWriter``, refusing truncated or
/// non-canonical input with an error instead of trapping.
public struct ByteReader: Sendable {
    private let bytes: [UInt8]
    private var position = 0
    /// Replica ids read so far, by their bytes: a state names the same few replicas in
    /// every dot, and each is checked and made once.
    private var replicas: [(bytes: ArraySlice<UInt8>, id: ReplicaID)] = []

    /// A reader at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether every byte has been read.
    public var isAtEnd: Bool { position == bytes.count }
    /// How many bytes are left.
    public var remaining: Int { bytes.count - position }

    /// Reads one byte.
    public mutating func readByte() throws(CoreError) -> UInt8 {
        guard position < bytes.count else { throw Self.truncated }
        defer { position += 1 }
        return bytes[position]
    }

    /// Reads a minimal LEB128 varint of at most 64 bits.
    public mutating func readVarint() throws(CoreError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let byte = try readByte()
            let payload = UInt64(byte & 0x7F)
            guard shift < 64, shift < 63 || payload <= 1 else { throw Self.malformed("varint longer than 64 bits") }
            value |= payload << shift
            if byte & 0x80 == 0 {
                guard byte != 0 || shift == 0 else { throw Self.malformed("varint with a redundant zero byte") }
                return value
            }
            shift += 7
        }
    }

    /// Reads a varint that counts elements of at least one byte each, so it
    /// cannot exceed the bytes left.
    public mutating func readCount() throws(CoreError) -> Int {
        let value = try readVarint()
        guard value <= UInt64(remaining) else { throw Self.truncated }
        return Int(value)
    }

    /// Reads a varint that must fit an `Int`.
    public mutating func readInt() throws(CoreError) -> Int {
        let value = try readVarint()
        guard value <= UInt64(Int.max) else { throw Self.malformed("integer \(value) out of range") }
        return Int(value)
    }

    /// Reads a length-prefixed string, which must be valid UTF-8.
    public mutating func readString() throws(CoreError) -> String {
        let length = try readCount()
        let range = position..<(position + length)
        position += length
        return try decodeUTF8(range)
    }

    /// The bytes in `range` as a string; they must be valid UTF-8.
    private func decodeUTF8(_ range: Range<Int>) throws(CoreError) -> String {
        // Decoded from contiguous memory, String's fast path, which repairs invalid UTF-8: the
        // bytes were valid exactly when the string holds them unchanged.
        let string = bytes.withUnsafeBufferPointer { all -> String? in
            let slice = UnsafeBufferPointer(rebasing: all[range])
            let decoded = String(decoding: slice, as: UTF8.self)
            guard decoded.utf8.count == slice.count else { return nil }
            let same = decoded.utf8.withContiguousStorageIfAvailable { $0.elementsEqual(slice) } ?? decoded.utf8.elementsEqual(slice)
            return same ? decoded : nil
        }
        guard let string else { throw Self.malformed("string is not valid UTF-8") }
        return string
    }

    /// Reads a length-prefixed replica id, checked as ``ReplicaID/init(_:)`` checks it.
    ///
    /// - Throws: ``CoreError/Code/decodeMalformed`` for a truncated or invalid id.
    public mutating func readReplicaID() throws(CoreError) -> ReplicaID {
        let length = try readCount()
        let range = position..<(position + length)
        position += length
        if let known = replicas.first(where: { $0.bytes.elementsEqual(bytes[range]) }) { return known.id }
        guard let replica = try? ReplicaID(try decodeUTF8(range)) else { throw Self.malformed("invalid replica id") }
        if replicas.count < 16 { replicas.append((bytes[range], replica)) }
        return replica
    }

    /// Reads a 64-bit value written with ``ByteWriter/write(fixed:)``.
    public mutating func readFixed() throws(CoreError) -> UInt64 {
        guard remaining >= 8 else { throw Self.truncated }
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(bytes[position]); position += 1 }
        return value
    }

    /// Fails unless every byte has been read.
    public func expectEnd() throws(CoreError) {
        guard isAtEnd else { throw Self.malformed("\(remaining) unexpected trailing bytes") }
    }

    static var truncated: CoreError { CoreError(.decodeTruncated, "the encoded value ends early") }

    static func malformed(_ detail: String) -> CoreError { CoreError(.decodeMalformed, "not a canonical encoding: \(detail)") }
}
