import GlossCore
import Synchronization

/// What never changes once stored, cached for access checks and events: the
/// project of each document and the document of each annotation.
final class Directory: Sendable {
    private let documents = Mutex<[DocumentID: ProjectID]>([:])
    private let annotations = Mutex<[AnnotationID: DocumentID]>([:])
    private let limit: Int

    init(limit: Int = 500_000) {
        self.limit = limit
    }

    func project(of document: DocumentID) -> ProjectID? { documents.withLock { $0[document] } }

    func remember(_ document: DocumentID, in project: ProjectID) {
        documents.withLock { map in
            if map.count >= limit { map.removeAll(keepingCapacity: true) }
            map[document] = project
        }
    }

    func document(of annotation: AnnotationID) -> DocumentID? { annotations.withLock { $0[annotation] } }

    func remember(_ annotation: AnnotationID, on document: DocumentID) {
        annotations.withLock { map in
            if map.count >= limit { map.removeAll(keepingCapacity: true) }
            map[annotation] = document
        }
    }
}
