/// A multi-value register with a causal context (the optimized MV-register of
/// delta-state CRDTs): it holds every value written concurrently, and a write
/// replaces exactly the values its author had seen.
///
/// Applying a write joins the register with the write's delta
/// `({(dot, value)}, context ∪ {dot})`. Join is commutative, associative and
/// idempotent, so any delivery order, with repeats, gives the same register.
public struct MultiValueRegister<Value: Hashable & Sendable>: Hashable, Sendable {
    /// One written value with its provenance.
    public struct Entry: Hashable, Sendable {
        /// The write's identity.
        public let dot: Dot
        /// When it was written.
        public let timestamp: HLCTimestamp
        /// Who wrote it.
        public let author: String
        /// The value.
        public let value: Value

        /// Whether this entry wins over `other`: later timestamp, then higher replica id, then higher counter.
        public func precedes(_ other: Entry) -> Bool {
            (timestamp, dot.replica, dot.counter) > (other.timestamp, other.dot.replica, other.dot.counter)
        }
    }

    /// The values not yet replaced, sorted by dot.
    public private(set) var entries: [Entry]
    /// Every write merged into the register, whether its value is still here or was replaced.
    public private(set) var context: CausalContext

    /// An empty register.
    public init() {
        entries = []
        context = CausalContext()
    }

    /// Restores a register from its parts (used by decoding); entries are sorted by dot.
    init(entries: [Entry], context: CausalContext) {
        self.entries = entries.sorted { $0.dot < $1.dot }
        self.context = context
    }

    /// Whether no value is held.
    public var isEmpty: Bool { entries.isEmpty }

    /// The value every replica shows: the entry with the latest timestamp (ties by replica id).
    public var winner: Entry? {
        entries.max { $1.precedes($0) }
    }

    /// The values that lost to ``winner`` but were written concurrently with it, best first.
    public var conflicts: [Entry] {
        guard entries.count > 1 else { return [] }
        return Array(entries.sorted { $0.precedes($1) }.dropFirst())
    }

    /// Merges one write: drops the entries whose dots `seen` includes, then keeps
    /// `value` unless this write was itself already seen. A `nil` value only
    /// replaces (as a tag removal does).
    public mutating func apply(dot: Dot, timestamp: HLCTimestamp, author: String, value: Value?, seen: CausalContext) {
        let alreadyMerged = context.contains(dot)
        if !entries.isEmpty, !seen.isEmpty {
            entries.removeAll { seen.contains($0.dot) }
        }
        if !alreadyMerged, let value {
            let entry = Entry(dot: dot, timestamp: timestamp, author: author, value: value)
            if let last = entries.last, !(last.dot < dot) {
                entries.append(entry)
                entries.sort { $0.dot < $1.dot }
            } else {
                entries.append(entry)
            }
        }
        context.formUnion(seen)
        context.insert(dot)
    }

    /// Joins another replica's copy of the register into this one.
    public mutating func merge(_ other: MultiValueRegister) {
        var kept = entries.filter { entry in other.entries.contains(entry) || !other.context.contains(entry.dot) }
        for entry in other.entries where !context.contains(entry.dot) && !kept.contains(entry) {
            kept.append(entry)
        }
        entries = kept.sorted { $0.dot < $1.dot }
        context.formUnion(other.context)
    }
}
