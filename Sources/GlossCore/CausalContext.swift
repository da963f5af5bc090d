/// A set of operations (dots), as a version vector plus the dots above it that
/// arrived out of order.
///
/// An operation carries the causal context its author had seen for the part of
/// the annotation it writes; a register keeps the context of everything it has
/// merged. The representation is canonical: the same set of dots always has the
/// same vector and extras, so equal states encode to equal bytes.
public struct CausalContext: Hashable, Sendable, CustomStringConvertible {
    /// The contiguous part: for each replica, every counter up to the entry is included.
    public private(set) var vector: VersionVector
    /// Included dots that the vector does not cover, sorted; none is adjacent
    /// to the vector (such a dot is folded into it).
    public private(set) var extras: [Dot]

    /// The empty context.
    public init() {
        vector = VersionVector()
        extras = []
    }

    /// A context that contains exactly the dots covered by `vector`.
    public init(_ vector: VersionVector) {
        self.vector = vector
        extras = []
    }

    /// A context from a vector and any dots; normalizes to canonical form.
    ///
    /// One pass over the sorted dots: a dot just above its replica's coverage extends
    /// the vector; once a replica has a gap, its later dots can only be extras. So
    /// ten thousand scattered dots cost a sort, not ten thousand insertions.
    public init(vector: VersionVector, dots: [Dot]) {
        self.vector = vector
        extras = []
        for dot in dots.sorted() {
            let covered = self.vector[dot.replica]
            if dot.counter <= covered { continue }
            if dot.counter == covered + 1 {
                self.vector.advance(dot.replica, to: dot.counter)
            } else if extras.last != dot {
                extras.append(dot)
            }
        }
    }

    /// Whether nothing is included.
    public var isEmpty: Bool { vector.isEmpty && extras.isEmpty }

    /// Whether `dot` is included.
    public func contains(_ dot: Dot) -> Bool {
        if vector.contains(dot) { return true }
        if extras.isEmpty { return false }
        return extras.contains(dot)
    }

    /// Adds one dot.
    public mutating func insert(_ dot: Dot) {
        let covered = vector[dot.replica]
        if dot.counter <= covered { return }
        if dot.counter == covered + 1 {
            vector.advance(dot.replica, to: dot.counter)
            if !extras.isEmpty { absorbExtras(of: dot.replica) }
            return
        }
        var index = 0
        while index < extras.count, extras[index] < dot { index += 1 }
        if index < extras.count, extras[index] == dot { return }
        extras.insert(dot, at: index)
    }

    /// Adds the dots of `replica` from `first` through `last` (counters, inclusive).
    /// A run that touches the vector extends it at once; any other is added dot by dot.
    public mutating func insert(_ replica: ReplicaID, from first: UInt64, through last: UInt64) {
        guard first <= last else { return }
        if first <= vector[replica] + 1 {
            guard last > vector[replica] else { return }
            vector.advance(replica, to: last)
            if !extras.isEmpty {
                extras.removeAll { $0.replica == replica && $0.counter <= last }
                absorbExtras(of: replica)
            }
            return
        }
        for counter in first...last { insert(Dot(replica: replica, counter: counter)) }
    }

    /// Adds every dot of `other`.
    public mutating func formUnion(_ other: CausalContext) {
        if other.extras.isEmpty, extras.isEmpty {
            vector.formUnion(other.vector)
            return
        }
        vector.formUnion(other.vector)
        var pending = extras
        pending.append(contentsOf: other.extras)
        extras = []
        for dot in pending.sorted() where !vector.contains(dot) {
            if extras.last != dot { extras.append(dot) }
        }
        for replica in Set(extras.map(\.replica)) { absorbExtras(of: replica) }
    }

    /// The union of this context and `other`.
    public func union(_ other: CausalContext) -> CausalContext {
        var result = self
        result.formUnion(other)
        return result
    }

    public var description: String {
        extras.isEmpty ? vector.description : "\(vector) + [" + extras.map(\.description).joined(separator: ", ") + "]"
    }

    /// Folds extras of `replica` that have become contiguous with the vector into it.
    private mutating func absorbExtras(of replica: ReplicaID) {
        var covered = vector[replica]
        var absorbed = false
        while let index = extras.firstIndex(where: { $0.replica == replica && $0.counter <= covered + 1 }) {
            covered = max(covered, extras[index].counter)
            extras.remove(at: index)
            absorbed = true
        }
        if absorbed { vector.advance(replica, to: covered) }
    }
}
