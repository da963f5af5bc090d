public import GlossCore

extension VersionVector {
    /// The vector as text: `origin:counter` pairs joined by commas, sorted by origin
    /// (`site-a:12,site-b:7`); the empty vector is the empty string.
    public var peerText: String {
        entries.map { "\($0.replica.rawValue):\($0.counter)" }.joined(separator: ",")
    }

    /// Reads ``peerText``.
    ///
    /// - Throws: ``PeerError`` (`peer-malformed`) for anything else, including a repeated origin.
    public init(peerText text: String) throws(PeerError) {
        var pairs: [(ReplicaID, UInt64)] = []
        var seen: Set<ReplicaID> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) where !text.isEmpty {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let counter = UInt64(parts[1]), let replica = try? ReplicaID(String(parts[0])) else {
                throw PeerError.malformed("version vector entry \(Excerpt.quoted(String(item))) is not origin:counter")
            }
            guard seen.insert(replica).inserted else { throw PeerError.malformed("version vector names \(replica) twice") }
            pairs.append((replica, counter))
        }
        self.init(pairs)
    }
}
