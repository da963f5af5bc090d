import GlossCore
import Synchronization

/// What never changes once stored, cached for access checks and events: the
/// documents known to exist (documents are never removed) and the document of
/// each annotation.
final class Directory: Sendable {
    private let documents = Mutex<Set<DocumentKey>>([])
    private let annotations = Mutex<[AnnotationID: DocumentKey]>([:])
    private let limit: Int

    init(limit: Int = 500_000) {
        self.limit = limit
    }

    /// Whether the document is known to exist (`false` means "not known", not "absent").
    func knows(_ document: DocumentKey) -> Bool { documents.withLock { $0.contains(document) } }

    func remember(_ document: DocumentKey) {
        documents.withLock { set in
            if set.count >= limit { set.removeAll(keepingCapacity: true) }
            set.insert(document)
        }
    }

    func document(of annotation: AnnotationID) -> DocumentKey? { annotations.withLock { $0[annotation] } }

    func remember(_ annotation: AnnotationID, on document: DocumentKey) {
        annotations.withLock { map in
            if map.count >= limit { map.removeAll(keepingCapacity: true) }
            map[annotation] = document
        }
    }
}
