public import GlossCore

extension VersionVector {
    /// Reads a vector from a peer line (``VersionVector/compactText``).
    ///
    /// - Throws: ``PeerError`` (`peer-malformed`) for anything else, including a repeated origin.
    public init(peerText text: String) throws(PeerError) {
        guard let vector = VersionVector(compactText: text) else {
            throw PeerError.malformed("version vector \(Excerpt.quoted(text)) is not origin:counter pairs, each origin once")
        }
        self = vector
    }
}
