/// For each replica, the highest counter up to which every operation of that
/// replica is included: the compact part of a ``CausalContext``.
///
/// Stored as a short array sorted by replica id (a site knows a handful of
/// peers), which keeps look-ups and merges cheap and the encoding canonical.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// One replica's entry.
    public struct Entry: Hashable, Sendable {
        /// The replica.
        public let replica: ReplicaID
        /// Every counter of `replica` up to and including this one is covered.
        public let counter: UInt64
    }

    /// Entries sorted by replica id; counters are never zero.
    public private(set) var entries: [Entry]

    /// An empty vector: nothing covered.
    public init() { entries = [] }

    /// A vector from pairs; zero counters are dropped and repeated replicas keep the maximum.
    public init(_ pairs: [(ReplicaID, UInt64)]) {
        entries = []
        for (replica, counter) in pairs { advance(replica, to: counter) }
    }

    /// Whether no replica is covered.
    public var isEmpty: Bool { entries.isEmpty }

    /// The counter covered for `replica`, 0 when none.
    public subscript(replica: ReplicaID) -> UInt64 {
        guard let index = position(of: replica) else { return 0 }
        return entries[index].counter
    }

    /// Whether the operation `dot` is covered.
    public func contains(_ dot: Dot) -> Bool {
        dot.counter <= self[dot.replica]
    }

    /// Raises the counter of `replica` to `counter` if it is lower.
    public mutating func advance(_ replica: ReplicaID, to counter: UInt64) {
        guard counter > 0 else { return }
        let index = insertionIndex(of: replica)
        if index < entries.count, entries[index].replica == replica {
            if entries[index].counter < counter { entries[index] = Entry(replica: replica, counter: counter) }
        } else {
            entries.insert(Entry(replica: replica, counter: counter), at: index)
        }
    }

    /// The pointwise maximum with `other`. Updates counters in place and only
    /// reallocates when `other` names a replica this vector lacks.
    public mutating func formUnion(_ other: VersionVector) {
        if other.entries.isEmpty { return }
        if entries.isEmpty {
            entries = other.entries
            return
        }
        var missing: [Entry] = []
        var index = 0
        for entry in other.entries {
            while index < entries.count, entries[index].replica < entry.replica { index += 1 }
            if index < entries.count, entries[index].replica == entry.replica {
                if entries[index].counter < entry.counter { entries[index] = entry }
            } else {
                missing.append(entry)
            }
        }
        if missing.isEmpty { return }
        entries.append(contentsOf: missing)
        entries.sort { $0.replica < $1.replica }
    }

    /// Whether every operation covered by `other` is covered by this vector.
    public func includes(_ other: VersionVector) -> Bool {
        other.entries.allSatisfy { self[$0.replica] >= $0.counter }
    }

    public var description: String {
        "{" + entries.map { "\($0.replica):\($0.counter)" }.joined(separator: ", ") + "}"
    }

    func position(of replica: ReplicaID) -> Int? {
        for (index, entry) in entries.enumerated() where entry.replica == replica { return index }
        return nil
    }

    private func insertionIndex(of replica: ReplicaID) -> Int {
        var index = 0
        while index < entries.count, entries[index].replica < replica { index += 1 }
        return index
    }
}
