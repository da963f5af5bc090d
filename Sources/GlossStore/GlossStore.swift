public import GlossCore
import Foundation
import Synchronization
public import Logging
import NIOCore
public import PostgresNIO

/// Gloss's persistence in PostgreSQL: the operation log, the materialized
/// annotation state, version vectors and documents.
///
/// Writes go through a group committer, so many concurrent writers share
/// transactions and each learns its operation is durable only after the
/// commit. When PostgreSQL is unreachable, calls fail with the retryable
/// ``StoreError/Code/unavailable`` and the store recovers by itself once the
/// database is back. Call ``run()`` (it runs the connection pool) before, or
/// concurrently with, everything else.
public final class GlossStore: Sendable {
    /// Tuning for the store.
    public struct Options: Sendable {
        /// Most operations stored in one transaction.
        public var maximumBatch = 1_000
        /// Most operations received from peers stored in one transaction (a catch-up's batches share one).
        public var maximumReceivedGroup = 16_000
        /// Most annotation states kept in memory.
        public var cacheLimit = 200_000
        /// How long a write (or a batched read) may wait for PostgreSQL before failing with ``StoreError/Code/unavailable``.
        public var writeTimeout: Duration = .seconds(5)
        /// How far ahead of the local clock a received operation's timestamp may be.
        public var maximumDriftMilliseconds = HybridLogicalClock.defaultMaximumDriftMilliseconds
        /// For a replicating site: how long local writes wait at start for a peer to
        /// confirm that this database is not behind its own history (see
        /// ``confirmIdentity()``); nil for none.
        public var identityWait: Duration?

        /// The defaults.
        public init() {}
    }

    /// This process's replica id.
    public let replica: ReplicaID
    /// The database, as a URL without the password, for messages.
    public let databaseDescription: String
    /// The connection pool.
    public let client: PostgresClient
    let logger: Logger
    let committer: GroupCommitter
    let reader: StateReader
    /// For connections outside the pool, held for long: listening, and the locks that make one process run each peer link.
    let dedicated: PostgresConnection.Configuration
    /// How long any one query may wait for PostgreSQL before failing with ``StoreError/Code/unavailable``.
    let queryTimeout: Duration
    private let catalogChangeCounter = Atomic<UInt64>(0)
    let documentReplacementCounter = Atomic<UInt64>(0)

    /// How many times a document from a peer replaced the text this process had stored under
    /// its id (a clash; see ``receiveDocument(_:)``): a counter that only grows, so caches of
    /// document texts know to drop what they hold.
    public var documentReplacements: UInt64 { documentReplacementCounter.load(ordering: .acquiring) }

    /// How many times this process has stored (or tried to store) a project or a document:
    /// a counter that only grows, so a peer link knows when to read the catalog again.
    public var catalogChanges: UInt64 { catalogChangeCounter.load(ordering: .acquiring) }

    /// Counts a write to the catalog (see ``catalogChanges``); called once the write has
    /// ended (a `defer`), so a link that read the counter before reading the catalog never misses it.
    func noteCatalogChange() {
        catalogChangeCounter.add(1, ordering: .releasing)
    }

    /// A store on `database`, writing as `replica`.
    public init(database: DatabaseConfiguration, replica: ReplicaID, options: Options = Options(), logger: Logger) {
        var configuration: PostgresClient.Configuration
        if let socket = database.unixSocketPath {
            configuration = .init(unixSocketPath: socket, username: database.username, password: database.password, database: database.database)
        } else {
            configuration = .init(
                host: database.host, port: database.port, username: database.username, password: database.password,
                database: database.database, tls: .disable
            )
        }
        if let socket = database.unixSocketPath {
            dedicated = .init(unixSocketPath: socket, username: database.username, password: database.password, database: database.database)
        } else {
            dedicated = .init(
                host: database.host, port: database.port, username: database.username, password: database.password,
                database: database.database, tls: .disable
            )
        }
        configuration.options.maximumConnections = database.maximumConnections
        configuration.options.connectTimeout = .seconds(5)
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.replica = replica
        self.logger = logger
        queryTimeout = options.writeTimeout
        databaseDescription = database.unixSocketPath ?? database.redactedURL
        reader = StateReader(client: client, logger: logger, timeout: options.writeTimeout)
        committer = GroupCommitter(
            client: client, replica: replica, logger: logger, maximumBatch: options.maximumBatch, maximumReceivedGroup: options.maximumReceivedGroup, cacheLimit: options.cacheLimit,
            timeout: options.writeTimeout,
            maximumDriftMilliseconds: options.maximumDriftMilliseconds, identityWait: options.identityWait,
            wallClock: { UInt64(max(0, Date().timeIntervalSince1970 * 1000)) }
        )
    }

    /// Runs the connection pool until the surrounding task is cancelled.
    public func run() async {
        await client.run()
    }

    /// Runs the connection pool while `body` uses the store, then shuts the pool down.
    public func withRunning<Result: Sendable>(_ body: @Sendable @escaping (GlossStore) async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                await self.run()
                return nil
            }
            group.addTask { try await body(self) }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let result = next { return result }
            }
            throw CancellationError()
        }
    }

    /// Checks that PostgreSQL answers within `limit`.
    ///
    /// - Throws: ``StoreError/Code/unavailable`` naming the database when it does not.
    public func ping(within limit: Duration = .seconds(5)) async throws(StoreError) {
        let (client, logger, target) = (client, logger, databaseDescription)
        do {
            try await withDeadline(limit, doing: "connecting to \(target)") {
                _ = try await client.wholeResult("SELECT 1", logger: logger)
            }
        } catch {
            // The pool only says it waited; one direct attempt tells why (refused, unknown database, bad password…).
            if let reason = await probe() {
                throw StoreError(.unavailable, "cannot use the database \(target): \(reason)")
            }
            let failure = StoreError.from(error, doing: "connecting to \(target)")
            throw StoreError(failure.code, failure.message + " (is PostgreSQL running there, and is the URL right?)")
        }
    }

    /// Why a direct connection to the database fails, in PostgreSQL's or the network's words; nil when it succeeds.
    private func probe() async -> String? {
        let (configuration, logger) = (dedicated, logger)
        do {
            let connection = try await withDeadline(.seconds(3), doing: "connecting") {
                try await PostgresConnection.connect(configuration: configuration, id: 9, logger: logger)
            }
            try? await connection.close()
            return nil
        } catch let error as PSQLError {
            if let message = error.serverInfo?[.message] { return "PostgreSQL says: \(message)" }
            if let underlying = error.underlying { return Self.plain(underlying) }
            return "\(error.code)"
        } catch let error as StoreError {
            return "no answer within 3 s (\(error.code))"
        } catch {
            return Self.plain(error)
        }
    }

    /// A network error in a few words (connection refused, no route…), without the library's wrapping.
    private static func plain(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("Connection refused") { return "connection refused (is PostgreSQL running, on that host and port?)" }
        if text.contains("No route to host") || text.contains("Network is unreachable") { return "no route to the host" }
        if text.contains("nodename nor servname") || text.contains("Name or service not known") || text.contains("resolve") {
            return "the host name does not resolve"
        }
        return Excerpt.of(text, limit: 200)
    }

    /// Applies pending migrations from `Schema/` and records this replica id.
    @discardableResult
    public func migrate(migrations: [Migration]) async throws(StoreError) -> [Int] {
        let applied = try await Migrator(migrations: migrations).migrate(client, logger: logger)
        try await register()
        return applied
    }

    /// Checks the schema is current and, when `registering` (a server that will
    /// write), records this replica id among the database's writers: peers are
    /// refused if they write under one of those ids.
    public func verifySchema(migrations: [Migration], registering: Bool = true) async throws(StoreError) {
        try await Migrator(migrations: migrations).verify(client, logger: logger)
        if registering { try await register() }
    }

    private func register() async throws(StoreError) {
        try await execute(
            "INSERT INTO replicas (replica_id) VALUES (\(replica.rawValue)) ON CONFLICT (replica_id) DO UPDATE SET last_started_at = now()",
            doing: "registering the replica id"
        )
    }

    // MARK: Writes

    /// Makes a new operation on an annotation here and stores it; returns it once durable.
    ///
    /// The operation's dot, timestamp and causal context are assigned in commit order.
    /// - Throws: ``StoreError/Code/invalid`` (with the core's error) or ``StoreError/Code/unavailable``.
    public func perform(_ payload: AnnotationOperation.Payload, on annotation: AnnotationID, by author: String) async throws(StoreError) -> AnnotationOperation {
        guard case .keyed(.written(let operations)) = try await submit(.local(payloads: [payload], annotation: annotation, author: author, declared: nil))
        else { throw StoreError(.internalError, "an unkeyed write was answered as a replay") }
        return operations[0]
    }

    /// Stores operations made elsewhere, in one transaction, and returns once durable.
    ///
    /// If any operation is invalid, none is stored. Operations already stored
    /// are skipped; those whose timestamps run more than
    /// ``Options/maximumDriftMilliseconds`` ahead of this clock are held (returned,
    /// not stored) and the rest are stored.
    /// - Throws: ``StoreError/Code/invalid`` with the core's validation error, or ``StoreError/Code/unavailable``.
    /// With `progress` (a batch from a peer site), the peer's progress is recorded in the same transaction.
    /// With `validated`, the caller has checked every operation with ``AnnotationOperation/validate()``
    /// already (a peer link's parser does) and it is not checked again.
    @discardableResult
    public func apply(_ operations: [AnnotationOperation], progress: PeerProgress? = nil, validated: Bool = false) async throws(StoreError) -> ReceivedBatch {
        guard !operations.isEmpty || progress != nil else { return ReceivedBatch() }
        guard case .received(let batch) = try await submit(.remote(operations, progress: progress, validated: validated)) else {
            throw StoreError(.internalError, "operations from elsewhere were answered as a local write")
        }
        return batch
    }

    func submit(_ work: WriteRequest.Work, key: RequestKey? = nil) async throws(StoreError) -> WriteResult {
        do {
            return try await committer.submit(work, key: key)
        } catch {
            throw StoreError.from(error, doing: "writing")
        }
    }

    /// Groups committed and operations written since start.
    public func commitStatistics() async -> (commits: Int, operations: Int) {
        (await committer.commits, await committer.operationsWritten)
    }

    // MARK: Documents

    /// Stores a document. Storing the same text again under the same id in the same project is a no-op.
    /// Document ids are unique within their project: another project's documents never clash.
    ///
    /// - Throws: ``StoreError/Code/documentExists`` when the id holds a different text in this project.
    public func putDocument(_ document: Document) async throws(StoreError) {
        defer { noteCatalogChange() }
        let text = document.text
        try await execute(
            """
            INSERT INTO projects (id) VALUES (\(document.project.rawValue)) ON CONFLICT DO NOTHING
            """,
            doing: "storing the project"
        )
        try await execute(
            """
            INSERT INTO documents (id, project_id, title, body, sha256, code_points)
            VALUES (\(document.id.rawValue), \(document.project.rawValue), \(document.title), \(text.text), \(text.sha256), \(text.count))
            ON CONFLICT (project_id, id) DO NOTHING
            """,
            doing: "storing the document"
        )
        let stored = try await rows(
            "SELECT sha256 FROM documents WHERE project_id = \(document.project.rawValue) AND id = \(document.id.rawValue)", as: String.self,
            doing: "reading the document"
        )
        guard let sha = stored.first, sha == text.sha256 else {
            throw StoreError(
                .documentExists,
                "document '\(document.id)' already exists in project '\(document.project)' with a different text; a corrected text is a new document with a new id"
            )
        }
    }

    /// The document `key`, if stored.
    public func document(_ key: DocumentKey) async throws(StoreError) -> Document? {
        let found = try await rows(
            "SELECT title, body FROM documents WHERE project_id = \(key.project.rawValue) AND id = \(key.document.rawValue)",
            as: (String, String).self, doing: "reading a document"
        )
        guard let (title, body) = found.first else { return nil }
        do {
            return try Document(id: key.document, project: key.project, title: title, text: body, maximumBytes: .max)
        } catch {
            throw StoreError(.internalError, "stored document '\(key)' is not valid: \(error)")
        }
    }

    /// The ids and titles of a project's documents, sorted by id.
    public func documents(in project: ProjectID) async throws(StoreError) -> [(id: DocumentID, title: String)] {
        try await rows(
            "SELECT id, title FROM documents WHERE project_id = \(project.rawValue) ORDER BY id", as: (String, String).self,
            doing: "listing documents"
        ).compactMap { row in (try? DocumentID(row.0)).map { (id: $0, title: row.1) } }
    }

    // MARK: Reads

    /// One annotation's merged state, if any operation on it is stored.
    ///
    /// Concurrent calls share queries (see `StateReader`), so many readers cost few round trips.
    public func annotation(_ id: AnnotationID) async throws(StoreError) -> AnnotationState? {
        do {
            return try await reader.read(id)
        } catch {
            throw StoreError.from(error, doing: "reading an annotation")
        }
    }

    /// Every created annotation of a document, by span start; deleted ones only when asked.
    public func annotations(of document: DocumentKey, includeDeleted: Bool = false) async throws(StoreError) -> [AnnotationState] {
        try await states(
            """
            SELECT state FROM annotations
            WHERE project_id = \(document.project.rawValue) AND document_id = \(document.document.rawValue) AND created
              AND (\(includeDeleted) OR NOT deleted)
            ORDER BY span_start, id
            """,
            doing: "reading a document's annotations"
        )
    }

    /// One page of annotations matching `filter`, in change order, after `cursor`.
    public func list(_ filter: AnnotationFilter, after cursor: Int64 = 0, limit: Int = 500) async throws(StoreError) -> AnnotationPage {
        let found = try await rows(filteredQuery(filter, after: cursor, limit: limit), as: (Int64, ByteBuffer).self, doing: "listing annotations")
        let states = try found.map { row throws(StoreError) in try Self.decodeState(row.1) }
        return AnnotationPage(annotations: states, nextCursor: found.count == limit ? found.last?.0 : nil)
    }

    /// Streams every annotation matching `filter` from one consistent snapshot,
    /// in change order, without loading them all: rows are fetched in batches as `body` consumes them.
    public func forEachAnnotation(
        _ filter: AnnotationFilter, _ body: (AnnotationState, Int64) async throws -> Void
    ) async throws {
        try await client.forEachBatch(filteredQuery(filter, after: 0, limit: Int.max), logger: logger) { rows in
            for row in rows {
                let (cursor, state) = try row.decode((Int64, ByteBuffer).self)
                try await body(try Self.decodeState(state), cursor)
            }
        }
    }

    private func filteredQuery(_ filter: AnnotationFilter, after cursor: Int64, limit: Int) -> PostgresQuery {
        """
        SELECT change_seq, state FROM annotations
        WHERE created
          AND (\(filter.project?.rawValue)::text IS NULL OR project_id = \(filter.project?.rawValue))
          AND (cardinality(\(filter.documents.map(\.rawValue))::text[]) = 0 OR document_id = ANY(\(filter.documents.map(\.rawValue))))
          AND (\(filter.label)::text IS NULL OR label = \(filter.label))
          AND (\(filter.author)::text IS NULL OR last_author = \(filter.author))
          AND (\(filter.status?.rawValue)::text IS NULL OR status = \(filter.status?.rawValue))
          AND updated_hlc > \(Int64(clamping: filter.changedSince?.rawValue ?? 0))
          AND (\(filter.includeDeleted) OR NOT deleted)
          AND (NOT \(filter.onlyConflicted) OR conflicted OR delete_conflict)
          AND change_seq > \(cursor)
        ORDER BY change_seq
        LIMIT \(Int64(limit))
        """
    }

    /// The stored version vector: for each origin, every counter up to it is stored.
    public func versionVector() async throws(StoreError) -> VersionVector {
        let found = try await rows("SELECT origin, counter FROM version_vector", as: (String, Int64).self, doing: "reading the version vector")
        return VersionVector(found.compactMap { row in (try? ReplicaID(row.0)).map { ($0, UInt64(row.1)) } })
    }

    /// Stored operations not covered by `vector`, in (origin, counter) order, at most
    /// `limit`, after the dot `cursor` — for a peer catching up in batches.
    public func operations(after vector: VersionVector, from cursor: Dot? = nil, limit: Int = 1_000) async throws(StoreError) -> [AnnotationOperation] {
        let found = try await rows(
            Self.lackingOperations(after: vector, from: cursor, limit: limit, then: "SELECT body FROM picked ORDER BY origin, counter"),
            as: ByteBuffer.self, doing: "reading operations"
        )
        return try found.map { body throws(StoreError) in
            do {
                return try AnnotationOperation(decoding: Array(buffer: body))
            } catch {
                throw StoreError(.internalError, "a stored operation does not decode: \(error)")
            }
        }
    }

    /// Drops cached state so the next write rereads it (after the database was changed by hand or restored).
    public func invalidateCache() async {
        await committer.invalidate()
    }

    // MARK: Helpers

    /// Runs a statement, within ``queryTimeout``.
    func execute(_ query: PostgresQuery, doing what: String) async throws(StoreError) {
        let (client, logger) = (client, logger)
        do {
            try await withDeadline(queryTimeout, doing: what, cancelling: false) { _ = try await client.wholeResult(query, logger: logger) }
        } catch {
            throw StoreError.from(error, doing: what)
        }
    }

    /// Runs a query and decodes every row, within ``queryTimeout``: when PostgreSQL is
    /// unreachable a caller hears ``StoreError/Code/unavailable`` in time, never waits on.
    func rows<each Column: PostgresDecodable & Sendable>(
        _ query: PostgresQuery, as type: (repeat each Column).Type, doing what: String
    ) async throws(StoreError) -> [(repeat each Column)] {
        let (client, logger) = (client, logger)
        do {
            return try await withDeadline(queryTimeout, doing: what, cancelling: false) {
                try await client.wholeResult(query, logger: logger).map { row in try row.decode((repeat each Column).self) }
            }
        } catch {
            throw StoreError.from(error, doing: what)
        }
    }

    private func states(_ query: PostgresQuery, doing what: String) async throws(StoreError) -> [AnnotationState] {
        try await rows(query, as: ByteBuffer.self, doing: what).map { body throws(StoreError) in try Self.decodeState(body) }
    }

    static func decodeState(_ body: ByteBuffer) throws(StoreError) -> AnnotationState {
        do {
            return try AnnotationState(decoding: Array(buffer: body))
        } catch {
            throw StoreError(.internalError, "a stored annotation state does not decode: \(error)")
        }
    }
}
