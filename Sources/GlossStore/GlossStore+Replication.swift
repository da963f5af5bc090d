public import Foundation
public import GlossCore
import Synchronization
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
        defer { noteCatalogChange() }
        try await execute("INSERT INTO projects (id, title) VALUES (\(id.rawValue), \(title)) ON CONFLICT DO NOTHING", doing: "storing a project")
    }

    /// Stores a document received from a peer site, applying the clash rule every
    /// site applies alike: under one id in one project the text with the lower
    /// SHA-256 stays, and the other is kept aside as a clash (see docs/REPLICATION.md).
    public func receiveDocument(_ document: Document) async throws(StoreError) -> ReceivedDocument {
        defer { noteCatalogChange() }
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
        if outcome == .replaced { documentReplacementCounter.add(1, ordering: .releasing) }
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

    /// Holds local writes (they fail with ``StoreError/Code/unavailable``) until this
    /// replica's own operations up to `counter`, which a peer holds, are stored here:
    /// a restored or copied database must not issue those dots again.
    public func recoverOwnHistory(upTo counter: UInt64) async {
        await committer.requireHistory(upTo: counter)
    }

    /// Lets local writes go ahead (see ``Options/identityWait``): a peer's greeting
    /// was reviewed, or this site has never linked with a peer.
    public func confirmIdentity() async {
        await committer.confirmIdentity()
    }

    /// The site each known peer replica id belongs to (recorded by ``recordPeerReplica(_:site:)``).
    public func peerReplicas() async throws(StoreError) -> [ReplicaID: String] {
        var found: [ReplicaID: String] = [:]
        for (replica, site) in try await rows("SELECT replica_id, site FROM peer_replicas", as: (String, String).self, doing: "reading peer replicas") {
            if let id = try? ReplicaID(replica) { found[id] = site }
        }
        return found
    }

    /// Records that site `site` greeted with replica id `replica` (the first site to do so keeps it).
    public func recordPeerReplica(_ replica: ReplicaID, site: String) async throws(StoreError) {
        try await execute(
            "INSERT INTO peer_replicas (replica_id, site) VALUES (\(replica.rawValue), \(site)) ON CONFLICT DO NOTHING", doing: "recording a peer replica"
        )
    }

    /// The version vector as this process knows it, without a query: what it
    /// committed and read since its last resynchronization (never ahead of the stored one).
    public func appliedVector() async -> VersionVector {
        await committer.appliedVector
    }

    /// Every replica id registered on this database (each glossd process writes under its own).
    public func registeredReplicas() async throws(StoreError) -> Set<ReplicaID> {
        Set(try await rows("SELECT replica_id FROM replicas", as: String.self, doing: "reading replica ids").compactMap { try? ReplicaID($0) })
    }

    /// Starts a new incarnation of this site (each glossd start does) and returns its number.
    public func beginIncarnation() async throws(StoreError) -> UInt64 {
        let found = try await rows("UPDATE site SET incarnation = incarnation + 1 RETURNING incarnation", as: Int64.self, doing: "starting an incarnation")
        return UInt64(found.first ?? 0)
    }
}

/// What a site records about one peer site, for `glossd peers` and `gloss status`.
public struct PeerSiteRecord: Sendable, Hashable {
    /// The peer's site name.
    public var site: String
    /// `up`, `down` or `refused`, as last recorded.
    public var state: String
    /// The address of the last link (dialed or accepted).
    public var address: String
    /// The peer's version vector, as last heard.
    public var vector: VersionVector
    /// The peer's catalog number up to which its projects and documents are stored here.
    public var catalogCursor: UInt64
    /// When the peer was last heard from.
    public var lastContact: Date?
    /// The last error of a link with it (empty when none).
    public var lastError: String
    /// Operations received from it and sent to it since they first linked.
    public var operationsIn: Int64
    public var operationsOut: Int64

    /// Creates a record.
    public init(
        site: String, state: String, address: String, vector: VersionVector, catalogCursor: UInt64, lastContact: Date?, lastError: String,
        operationsIn: Int64, operationsOut: Int64
    ) {
        self.site = site
        self.state = state
        self.address = address
        self.vector = vector
        self.catalogCursor = catalogCursor
        self.lastContact = lastContact
        self.lastError = lastError
        self.operationsIn = operationsIn
        self.operationsOut = operationsOut
    }

    /// How long an `up` record stays believed without a new contact: a running link
    /// records every 2 s, so a row older than this was left by a glossd that stopped or died.
    public static let staleAfter: TimeInterval = 10

    /// The state to show at `now`: `up` only while the link that recorded it keeps recording.
    public func currentState(now: Date = Date()) -> String {
        guard state == "up" else { return state }
        guard let lastContact, now.timeIntervalSince(lastContact) <= Self.staleAfter else { return "down" }
        return "up"
    }
}

extension GlossStore {
    /// Every peer site this site has linked with, by name.
    public func peerSites() async throws(StoreError) -> [PeerSiteRecord] {
        let found = try await rows(
            """
            SELECT site, state, address, vector, catalog_cursor, last_contact_at, last_error, operations_in, operations_out
            FROM peer_sites ORDER BY site
            """,
            as: (String, String, String, String, Int64, Date?, String, Int64, Int64).self, doing: "reading peer sites"
        )
        return found.map { row in
            PeerSiteRecord(
                site: row.0, state: row.1, address: row.2, vector: VersionVector(compactText: row.3) ?? VersionVector(), catalogCursor: UInt64(row.4), lastContact: row.5,
                lastError: row.6, operationsIn: row.7, operationsOut: row.8
            )
        }
    }

    /// The peer's catalog number up to which its catalog is stored here (0 for a new peer),
    /// and the token of the peer database whose catalog it counts (empty when unknown).
    public func catalogCursor(of site: String) async throws(StoreError) -> (cursor: UInt64, database: String) {
        let found = try await rows(
            "SELECT catalog_cursor, catalog_database FROM peer_sites WHERE site = \(site)", as: (Int64, String).self, doing: "reading a peer's cursor"
        )
        guard let (cursor, database) = found.first else { return (0, "") }
        return (UInt64(cursor), database)
    }

    /// This database's token (`site.export_token`, lower-case UUID text): peers tell databases apart by it.
    public func databaseToken() async throws(StoreError) -> String {
        try await rows("SELECT export_token::text FROM site", as: String.self, doing: "reading the database token").first ?? ""
    }

    /// Records a link's state with a peer site: its address, state, last heard vector, last error,
    /// operations sent, and when the peer was last heard (`lastContact`, shown as last contact).
    public func recordPeerStatus(
        site: String, state: String, address: String, vector: VersionVector?, error: String?, operationsOut: Int64, lastContact: Date = Date()
    ) async throws(StoreError) {
        let vectorText = vector?.compactText
        try await execute(
            """
            INSERT INTO peer_sites AS s (site, state, address, vector, last_error, operations_out, last_contact_at)
            VALUES (\(site), \(state), \(address), \(vectorText ?? ""), \(error ?? ""), \(operationsOut), \(lastContact))
            ON CONFLICT (site) DO UPDATE SET
                state = excluded.state, address = excluded.address,
                vector = CASE WHEN \(vectorText == nil) THEN s.vector ELSE excluded.vector END,
                last_error = CASE WHEN \(error == nil) THEN s.last_error ELSE excluded.last_error END,
                operations_out = s.operations_out + excluded.operations_out, last_contact_at = excluded.last_contact_at
            """,
            doing: "recording a peer's state"
        )
    }

    /// Records how a dial to `address` ended: `error`, the reason the link ended or why
    /// it never started. A peer site last linked through that address, down now, takes
    /// it as its last error, so the error follows the redials.
    public func recordDial(address: String, error: String) async throws(StoreError) {
        try await execute(
            """
            WITH dial AS (
                INSERT INTO peer_dials AS d (address, last_attempt_at, last_error) VALUES (\(address), now(), \(error))
                ON CONFLICT (address) DO UPDATE SET last_attempt_at = now(), last_error = excluded.last_error
                RETURNING 1
            )
            UPDATE peer_sites SET last_error = \(error) WHERE address = \(address) AND state <> 'up'
            """,
            doing: "recording a dial"
        )
    }

    /// Forgets the dials of addresses not in `addresses` (no longer configured).
    public func forgetDials(except addresses: [String]) async throws(StoreError) {
        try await execute("DELETE FROM peer_dials WHERE NOT (address = ANY(\(addresses)))", doing: "forgetting old dials")
    }

    /// Configured addresses that never linked a site (no peer site names them), with the last attempt and its error, by address.
    public func unlinkedDials() async throws(StoreError) -> [(address: String, lastAttempt: Date, lastError: String)] {
        try await rows(
            """
            SELECT address, last_attempt_at, last_error FROM peer_dials d
            WHERE NOT EXISTS (SELECT 1 FROM peer_sites s WHERE s.address = d.address) ORDER BY address
            """,
            as: (String, Date, String).self, doing: "reading dials"
        ).map { (address: $0.0, lastAttempt: $0.1, lastError: $0.2) }
    }

    /// The peer addresses stored with `glossd peer add`, sorted.
    public func peerAddresses() async throws(StoreError) -> [String] {
        try await rows("SELECT address FROM peers ORDER BY address", as: String.self, doing: "reading peers")
    }

    /// Stores a peer address; returns whether it was new.
    @discardableResult
    public func addPeerAddress(_ address: String) async throws(StoreError) -> Bool {
        !(try await rows("INSERT INTO peers (address) VALUES (\(address)) ON CONFLICT DO NOTHING RETURNING 1", as: Int32.self, doing: "adding a peer")).isEmpty
    }

    /// Removes a peer address; returns whether it was there.
    @discardableResult
    public func removePeerAddress(_ address: String) async throws(StoreError) -> Bool {
        !(try await rows("DELETE FROM peers WHERE address = \(address) RETURNING 1", as: Int32.self, doing: "removing a peer")).isEmpty
    }
}
