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
    private let entries: Mutex<(texts: LeastRecentlyUsed<DocumentKey, Document>, replacements: UInt64)>
    private let maximumBytes: Int

    /// A cache holding at most `maximumBytes` of texts and indexes (64 MiB by default).
    init(maximumBytes: Int = 64 << 20) {
        self.maximumBytes = maximumBytes
        entries = Mutex((LeastRecentlyUsed(maximumBytes: maximumBytes), 0))
    }

    /// The memory a cached document takes, in bytes (an estimate).
    static func footprint(_ document: Document) -> Int {
        document.text.text.utf8.count + 4 * document.text.count
    }

    /// The document, from the cache or the store; `nil` if not stored.
    ///
    /// Documents never change but in a clash, when a peer's text replaces the one stored
    /// under its id (``GlossStore/documentReplacements`` grows): then every cached text is dropped.
    func document(_ id: DocumentKey, store: GlossStore) async throws(StoreError) -> Document? {
        let replacements = store.documentReplacements
        let cached = entries.withLock { entries -> Document? in
            if entries.replacements != replacements {
                entries = (LeastRecentlyUsed(maximumBytes: maximumBytes), replacements)
            }
            return entries.texts.value(for: id)
        }
        if let cached { return cached }
        guard let document = try await store.document(id) else { return nil }
        entries.withLock { entries in
            if entries.replacements == replacements { entries.texts.insert(document, for: id, bytes: Self.footprint(document)) }
        }
        return document
    }
}
