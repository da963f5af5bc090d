import Crypto

/// A SHA-256 digest of merged annotation states in canonical encoding: equal
/// states give equal digests, so replicas compare state without shipping it.
public struct StateDigest: Hashable, Sendable, CustomStringConvertible {
    /// The 32 digest bytes.
    public let bytes: [UInt8]

    /// The digest of annotation states, which must be sorted by id.
    public init(of states: [AnnotationState]) {
        var hasher = SHA256()
        for state in states {
            let encoded = state.encoded()
            var length = ByteWriter()
            length.write(count: encoded.count)
            hasher.update(data: length.bytes)
            hasher.update(data: encoded)
        }
        bytes = Array(hasher.finalize())
    }

    /// Lower-case hexadecimal.
    public var description: String { Hex.encode(bytes) }
}
