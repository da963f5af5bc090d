import GlossCore
import GlossStore
import Synchronization

/// Recently used document texts, indexed by code point, for checking spans
/// and finding quotes without rereading the text for every annotation.
final class DocumentCache: Sendable {
    private let entries = Mutex<(documents: [DocumentKey: Document], order: [DocumentKey])>(([:], []))
    private let limit: Int

    init(limit: Int = 64) {
        self.limit = limit
    }

    /// The document, from the cache or the store; `nil` if not stored.
    func document(_ id: DocumentKey, store: GlossStore) async throws(StoreError) -> Document? {
        if let cached = entries.withLock({ $0.documents[id] }) { return cached }
        guard let document = try await store.document(id) else { return nil }
        entries.withLock { entries in
            if entries.documents[id] == nil {
                entries.order.append(id)
                if entries.order.count > limit { entries.documents[entries.order.removeFirst()] = nil }
            }
            entries.documents[id] = document
        }
        return document
    }
}
