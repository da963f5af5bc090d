extension VersionVector {
    /// The vector as one line of text: `origin:counter` pairs joined by commas, sorted
    /// by origin (`site-a:12,site-b:7`); the empty vector is the empty string. Peer
    /// messages carry it, and the store keeps each peer's last vector in it.
    public var compactText: String {
        entries.map { "\($0.replica.rawValue):\($0.counter)" }.joined(separator: ",")
    }

    /// Reads ``compactText``; nil for anything else, including an origin named twice.
    public init?(compactText text: String) {
        var pairs: [(ReplicaID, UInt64)] = []
        var seen: Set<ReplicaID> = []
        for item in text.split(separator: ",", omittingEmptySubsequences: false) where !text.isEmpty {
            let parts = item.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let counter = UInt64(parts[1]), let replica = try? ReplicaID(String(parts[0])), seen.insert(replica).inserted else {
                return nil
            }
            pairs.append((replica, counter))
        }
        self.init(pairs)
    }
}
