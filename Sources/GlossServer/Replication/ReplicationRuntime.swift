import GlossStore
import Synchronization

/// What sessions need of replication while the server runs: the settings, the
/// running links, and this start's incarnation (read once the store is up).
final class ReplicationRuntime: Sendable {
    let settings: ReplicationSettings
    let registry = PeerRegistry()
    private let incarnationNumber = Mutex<UInt64?>(nil)

    init(settings: ReplicationSettings) {
        self.settings = settings
    }

    /// This start's incarnation; nil until the server has begun one.
    var incarnation: UInt64? { incarnationNumber.withLock { $0 } }

    /// Begins this start's incarnation in the store.
    func begin(_ store: GlossStore) async throws(StoreError) -> UInt64 {
        let number = try await store.beginIncarnation()
        incarnationNumber.withLock { $0 = number }
        return number
    }
}
