import GlossCore
import GlossStore
import Synchronization

/// Recently used document texts, indexed by code point, for checking spans
/// and finding quotes without rereading the text for every annotation.
///
/// Least recently used first out, within a budget of the memory the texts take
/// (their UTF-8 bytes plus 4 bytes per code point of index): analysts who
/// annotate a few hundred documents in turn never reread them, and a few large
/// ones cannot fill memory.
final class DocumentCache: Sendable {
    private let entries: Mutex<LeastRecentlyUsed<DocumentKey, Document>>

    /// A cache holding at most `maximumBytes` of texts and indexes (64 MiB by default).
    init(maximumBytes: Int = 64 << 20) {
        entries = Mutex(LeastRecentlyUsed(maximumBytes: maximumBytes))
    }

    /// The memory a cached document takes, in bytes (an estimate).
    static func footprint(_ document: Document) -> Int {
        document.text.text.utf8.count + 4 * document.text.count
    }

    /// The document, from the cache or the store; `nil` if not stored.
    func document(_ id: DocumentKey, store: GlossStore) async throws(StoreError) -> Document? {
        if let cached = entries.withLock({ $0.value(for: id) }) { return cached }
        guard let document = try await store.document(id) else { return nil }
        entries.withLock { $0.insert(document, for: id, bytes: Self.footprint(document)) }
        return document
    }
}
