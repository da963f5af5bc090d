/// A map that keeps its most recently used entries within a budget of bytes,
/// dropping the least recently used first (the policy of ``DocumentCache``).
struct LeastRecentlyUsed<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private var values: [Key: (value: Value, bytes: Int)] = [:]
    /// Least recently used first.
    private var order: [Key] = []
    /// The bytes the entries take, as given when each was inserted.
    private(set) var bytes = 0
    /// The budget: never more bytes than this.
    let maximumBytes: Int

    init(maximumBytes: Int) { self.maximumBytes = maximumBytes }

    /// How many entries are kept.
    var count: Int { values.count }

    /// The value for `key`, which becomes the most recently used.
    mutating func value(for key: Key) -> Value? {
        guard let entry = values[key] else { return nil }
        if order.last != key, let index = order.firstIndex(of: key) {
            order.remove(at: index)
            order.append(key)
        }
        return entry.value
    }

    /// Keeps `value` as the most recently used, dropping the least recently used until it fits;
    /// a value larger than the whole budget is not kept.
    mutating func insert(_ value: Value, for key: Key, bytes size: Int) {
        if let earlier = values.removeValue(forKey: key) {
            bytes -= earlier.bytes
            order.removeAll { $0 == key }
        }
        guard size <= maximumBytes else { return }
        while bytes + size > maximumBytes, !order.isEmpty {
            let oldest = order.removeFirst()
            if let evicted = values.removeValue(forKey: oldest) { bytes -= evicted.bytes }
        }
        values[key] = (value, size)
        order.append(key)
        bytes += size
    }
}
