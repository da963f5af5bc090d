public import GlossCore
import Foundation
import NIOCore
import PostgresNIO

/// What one commit stored, as told to the commit observer.
public struct CommittedGroup: Sendable {
    /// The operations, in commit order.
    public let operations: [AnnotationOperation]
    /// The merged state of every annotation the operations touched, after the commit.
    public let states: [AnnotationID: AnnotationState]
}

extension GlossStore {
    /// Makes new operations on one annotation here and stores them together
    /// (all or none); returns them once durable.
    ///
    /// With a `key`, a request already written under it is not written again:
    /// the result says which annotation it wrote. Keys are per user; a key
    /// reused for a different request fails with ``StoreError/Code/keyReused``.
    /// With `declared`, the operations replace only the values of that revision
    /// (see ``AnnotationState/revision``); later writes stay as conflicts.
    public func perform(
        _ payloads: [AnnotationOperation.Payload], on annotation: AnnotationID, by author: String, key: RequestKey?,
        declared: [Dot]? = nil
    ) async throws(StoreError) -> KeyedWrite {
        let work = WriteRequest.Work.local(payloads: payloads, annotation: annotation, author: author, declared: declared)
        // The committer looks the key up with its group (and answers a second use of
        // the key within one group as a replay of the first), so a retry never writes twice.
        guard case .keyed(let outcome) = try await submit(work, key: key) else {
            throw StoreError(.internalError, "a local write was answered as operations from elsewhere")
        }
        return outcome
    }

    /// Tells `observer` about every later commit of this process, in commit order,
    /// before the writers are answered. It must return quickly. Any number of
    /// observers may be added; each sees every commit.
    public func observeCommits(_ observer: @escaping @Sendable (CommittedGroup) -> Void) async {
        await committer.observe(observer)
    }

    /// What a keyed document upload did.
    public enum KeyedDocument: Sendable, Equatable {
        /// Stored now (or the same text was there): answer with the new answer.
        case written
        /// The key was used for this same request before: its first answer.
        case replayed(reply: String)
    }

    /// Stores a document under an idempotency key, in one transaction with the key,
    /// so that concurrent requests with one key are applied once: the first stores,
    /// an identical one is answered as its replay, a different one is refused.
    ///
    /// - Throws: ``StoreError/Code/keyReused`` when the key holds another request,
    ///   ``StoreError/Code/documentExists`` when the id holds another text.
    public func putDocument(_ document: Document, key: RequestKey, reply: String) async throws(StoreError) -> KeyedDocument {
        defer { noteCatalogChange() }
        let text = document.text
        let outcome: [String]
        do {
            outcome = try await rows(
                """
                SELECT gloss_put_document_keyed(
                    \(key.user), \(key.key), \(ByteBuffer(bytes: key.fingerprint)), \(reply),
                    \(document.project.rawValue), \(document.id.rawValue), \(document.title), \(text.text), \(text.sha256), \(Int32(text.count)))
                """,
                as: String.self, doing: "storing a document"
            )
        } catch where error.code == .documentExists {
            throw StoreError(
                .documentExists,
                "document '\(document.id)' already exists in project '\(document.project)' with a different text; a corrected text is a new document with a new id"
            )
        }
        switch outcome.first {
        case "reused"?:
            throw StoreError(.keyReused, "key \(Excerpt.quoted(key.key)) was already used for a different request; use a new key for a new request")
        case let answer? where answer.hasPrefix("replay "):
            return .replayed(reply: String(answer.dropFirst("replay ".count)))
        default:
            return .written
        }
    }

    /// Removes idempotency keys older than `age`; returns how many.
    @discardableResult
    public func pruneRequestKeys(olderThan age: Duration) async throws(StoreError) -> Int {
        let seconds = Double(age.components.seconds)
        return try await rows(
            "WITH gone AS (DELETE FROM request_keys WHERE created_at < now() - make_interval(secs => \(seconds)) RETURNING 1) SELECT count(*)::bigint FROM gone",
            as: Int64.self, doing: "pruning idempotency keys"
        ).first.map(Int.init) ?? 0
    }

    /// Which of `projects` hold a document with id `id`, without loading any text.
    /// Callers pass only the projects the user may see, so the answer reveals nothing else.
    public func projects(holding id: DocumentID, among projects: [ProjectID]) async throws(StoreError) -> [ProjectID] {
        guard !projects.isEmpty else { return [] }
        return try await rows(
            "SELECT project_id FROM documents WHERE id = \(id.rawValue) AND project_id = ANY(\(projects.map(\.rawValue))) ORDER BY project_id",
            as: String.self, doing: "finding a document"
        ).compactMap { try? ProjectID($0) }
    }

    /// The document (with its project) of a stored annotation, if it has been created.
    public func document(ofAnnotation id: AnnotationID) async throws(StoreError) -> DocumentKey? {
        try await rows(
            "SELECT project_id, document_id FROM annotations WHERE id = \(id.uuid) AND document_id IS NOT NULL AND project_id IS NOT NULL",
            as: (String, String).self, doing: "reading an annotation's document"
        ).first.flatMap { row in
            guard let project = try? ProjectID(row.0), let document = try? DocumentID(row.1) else { return nil }
            return DocumentKey(project: project, document: document)
        }
    }
}
