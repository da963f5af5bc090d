import GlossCore

/// An annotation's merged state with the row version it was read or written at
/// (0: not in the database yet).
struct VersionedState: Sendable {
    var state: AnnotationState
    var version: Int64
}

/// The annotation states this process read or wrote last, so a burst of writes
/// to the same annotations needs no reads. Bounded: past the limit, an
/// arbitrary tenth is dropped (they are reread when needed).
struct StateCache: Sendable {
    private var entries: [AnnotationID: VersionedState] = [:]
    let limit: Int

    init(limit: Int) { self.limit = limit }

    subscript(id: AnnotationID) -> VersionedState? { entries[id] }

    mutating func store(_ id: AnnotationID, _ value: VersionedState) {
        if entries.count >= limit, entries[id] == nil {
            // Collect first: removing while iterating `keys` would copy the whole dictionary on every removal.
            let victims = Array(entries.keys.prefix(max(1, limit / 10)))
            for key in victims { entries[key] = nil }
        }
        entries[id] = value
    }

    mutating func evict(_ ids: some Sequence<AnnotationID>) {
        for id in ids { entries[id] = nil }
    }

    mutating func removeAll() { entries.removeAll() }
}
