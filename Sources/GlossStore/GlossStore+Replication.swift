public import GlossCore
import NIOCore
import PostgresNIO

/// One entry of this site's catalog, in catalog order: what a link sends a peer before operations.
public enum CatalogEntry: Sendable {
    /// A project.
    case project(id: ProjectID, title: String, sequence: UInt64)
    /// A document with its text.
    case document(Document, sequence: UInt64)

    /// The entry's catalog number on this site.
    public var sequence: UInt64 {
        switch self {
        case .project(_, _, let sequence), .document(_, let sequence): sequence
        }
    }
}

/// What became of a document received from a peer site (see ``GlossStore/receiveDocument(_:)``).
public enum ReceivedDocument: String, Sendable {
    /// It was new here and is stored.
    case stored
    /// The same text was here already.
    case same
    /// Another text is stored under its id and stays (its SHA-256 is lower); the received text is kept as the clash.
    case kept
    /// It replaced the text stored under its id (its SHA-256 is lower); the earlier text is kept as the clash.
    case replaced
}

/// A document id under which two sites stored different texts.
public struct DocumentClash: Sendable, Hashable {
    /// The document.
    public let key: DocumentKey
    /// SHA-256 of the text that lost (the higher one), kept aside.
    public let clashingSHA256: String

    /// Creates a clash record.
    public init(key: DocumentKey, clashingSHA256: String) {
        self.key = key
        self.clashingSHA256 = clashingSHA256
    }
}

extension GlossStore {
    /// This site's catalog entries numbered after `cursor`, in catalog order, at most `limit`.
    public func catalog(after cursor: UInt64, limit: Int = 100) async throws(StoreError) -> [CatalogEntry] {
        let found = try await rows(
            """
            SELECT kind, project_id, id, title, body, catalog_seq FROM (
                SELECT 'project' AS kind, id AS project_id, '' AS id, title, '' AS body, catalog_seq FROM projects WHERE catalog_seq > \(Int64(clamping: cursor))
                UNION ALL
                SELECT 'document', project_id, id, title, body, catalog_seq FROM documents WHERE catalog_seq > \(Int64(clamping: cursor))
            ) c ORDER BY catalog_seq LIMIT \(Int64(limit))
            """,
            as: (String, String, String, String, String, Int64).self, doing: "reading the catalog"
        )
        return try found.map { row throws(StoreError) in
            do {
                let project = try ProjectID(row.1)
                if row.0 == "project" { return .project(id: project, title: row.3, sequence: UInt64(row.5)) }
                let document = try Document(id: DocumentID(row.2), project: project, title: row.3, text: row.4, maximumBytes: .max)
                return .document(document, sequence: UInt64(row.5))
            } catch {
                throw StoreError(.internalError, "a stored catalog entry is not valid: \(error)")
            }
        }
    }

    /// The latest catalog number of this site (0 when it has no projects or documents).
    public func catalogSequence() async throws(StoreError) -> UInt64 {
        let found = try await rows(
            "SELECT greatest((SELECT coalesce(max(catalog_seq), 0) FROM projects), (SELECT coalesce(max(catalog_seq), 0) FROM documents))::bigint",
            as: Int64.self, doing: "reading the catalog number"
        )
        return UInt64(found.first ?? 0)
    }

    /// Stores a project received from a peer site, unless one with its id exists.
    public func receiveProject(_ id: ProjectID, title: String) async throws(StoreError) {
        try await execute("INSERT INTO projects (id, title) VALUES (\(id.rawValue), \(title)) ON CONFLICT DO NOTHING", doing: "storing a project")
    }

    /// Stores a document received from a peer site, applying the clash rule every
    /// site applies alike: under one id in one project the text with the lower
    /// SHA-256 stays, and the other is kept aside as a clash (see docs/REPLICATION.md).
    public func receiveDocument(_ document: Document) async throws(StoreError) -> ReceivedDocument {
        let text = document.text
        let found = try await rows(
            """
            SELECT gloss_receive_document(\(document.project.rawValue), \(document.id.rawValue), \(document.title), \(text.text), \(text.sha256), \(Int32(text.count)))
            """,
            as: String.self, doing: "storing a document from a peer"
        )
        guard let outcome = found.first.flatMap(ReceivedDocument.init(rawValue:)) else {
            throw StoreError(.internalError, "storing a document from a peer gave no outcome")
        }
        return outcome
    }

    /// Document ids under which two sites stored different texts, sorted.
    public func documentClashes() async throws(StoreError) -> [DocumentClash] {
        try await rows("SELECT project_id, id, sha256 FROM document_clashes ORDER BY project_id, id, sha256", as: (String, String, String).self, doing: "reading clashes")
            .compactMap { row in
                guard let project = try? ProjectID(row.0), let id = try? DocumentID(row.1) else { return nil }
                return DocumentClash(key: DocumentKey(project: project, document: id), clashingSHA256: row.2)
            }
    }

    /// Starts a new incarnation of this site (each glossd start does) and returns its number.
    public func beginIncarnation() async throws(StoreError) -> UInt64 {
        let found = try await rows("UPDATE site SET incarnation = incarnation + 1 RETURNING incarnation", as: Int64.self, doing: "starting an incarnation")
        return UInt64(found.first ?? 0)
    }
}
