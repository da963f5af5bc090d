import Synchronization

/// How many `EXPORT`s the server runs at once. Each holds one PostgreSQL connection
/// and one open snapshot for as long as its client reads, so past
/// ``ServerLimits/maximumExports`` a new one is refused (`too-many-exports`) rather
/// than queued behind a slow reader.
final class ExportSlots: Sendable {
    private let running = Mutex(0)
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Takes a slot; false when all are taken.
    func take() -> Bool {
        running.withLock { running in
            guard running < limit else { return false }
            running += 1
            return true
        }
    }

    /// Gives a slot back.
    func give() {
        running.withLock { $0 -= 1 }
    }
}
