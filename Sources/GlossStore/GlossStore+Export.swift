import Foundation
public import GlossCore
import Logging
import NIOCore
import PostgresNIO

/// One annotation as an export reads it, with its document's catalog facts.
public struct ExportRow: Sendable {
    /// The merged state (``AnnotationState/view`` is never nil: only created annotations are exported).
    public let state: AnnotationState
    /// The document's title.
    public let documentTitle: String
    /// The document's SHA-256, 64 lowercase hex digits.
    public let documentSHA256: String
    /// The document's text, when the export asked for it (offsets in other units, brat, HTML).
    public let text: DocumentText?
    /// Where this row is in the export's order, to resume after it.
    public let position: ExportPosition
}

/// A row's place in an export's order: project, document, span start (code points), annotation id.
///
/// Text form `project/document/start/uuid`, which an interrupted export records to resume after.
public struct ExportPosition: Sendable, Hashable, CustomStringConvertible {
    /// The document of the row.
    public let document: DocumentKey
    /// The span's start, in code points.
    public let start: Int
    /// The annotation.
    public let annotation: AnnotationID

    /// A position.
    public init(document: DocumentKey, start: Int, annotation: AnnotationID) {
        self.document = document
        self.start = start
        self.annotation = annotation
    }

    /// Reads the text form; nil when it is not one.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 4, let project = try? ProjectID(String(parts[0])), let document = try? DocumentID(String(parts[1])),
            let start = Int(parts[2]), start >= 0, let annotation = try? AnnotationID(String(parts[3]))
        else { return nil }
        self.init(document: DocumentKey(project: project, document: document), start: start, annotation: annotation)
    }

    public var description: String { "\(document.project)/\(document.document)/\(start)/\(annotation)" }
}

/// What an export read, told before its first row.
public struct ExportOpening: Sendable {
    /// Rows the export will return (counted in its snapshot).
    public let total: Int
    /// The cursor that continues from this export: pass it as `since` to the next.
    public let cursor: ExportCursor
}

extension GlossStore {
    /// Streams every created annotation matching `filter` from one consistent
    /// snapshot, ordered by project, document, span start and id, without
    /// holding them in memory: rows are fetched as `row` consumes them.
    ///
    /// With `since`, only the annotations changed after that cursor's snapshot,
    /// deleted ones included (deletions are changes). With `after`, only rows
    /// after that position (to resume an interrupted export), and with `asOf` only
    /// the annotations no transaction has changed since that cursor's snapshot:
    /// together they continue an export begun at `asOf` with exactly what it would
    /// still have written, each annotation in its state at `asOf` (the others are
    /// what the next export `--since` that cursor delivers). Annotations whose
    /// document has not arrived yet (from a peer) are left out until it does;
    /// its arrival counts as their change.
    ///
    /// - Parameters:
    ///   - withText: whether each row carries its document's text.
    ///   - opening: called once, before the first row, with the count and the cursor.
    /// - Throws: ``StoreError/Code/invalidCursor`` when `since` names another
    ///   database or a snapshot this database has not reached; ``StoreError/Code/unavailable``
    ///   when PostgreSQL cannot be reached; whatever `opening` or `row` throw.
    public func export(
        _ filter: AnnotationFilter, since: ExportCursor? = nil, after: ExportPosition? = nil, asOf: ExportCursor? = nil,
        withText: Bool = false, opening: (ExportOpening) async throws -> Void, row: (ExportRow) async throws -> Void
    ) async throws {
        let connection: PostgresConnection
        do {
            connection = try await withDeadline(queryTimeout, doing: "connecting for an export") { [dedicated, logger] in
                try await PostgresConnection.connect(configuration: dedicated, id: 3, logger: logger)
            }
        } catch {
            throw StoreError.from(error, doing: "connecting for an export")
        }
        do {
            try await readSnapshot(
                on: connection, filter, since: since, after: after, asOf: asOf, withText: withText, opening: opening, row: row
            )
            try? await connection.close()
        } catch {
            try? await connection.close()
            if error is StoreError || !(error is PSQLError || error is PostgresConnectionClosed) { throw error }
            throw StoreError.from(error, doing: "exporting annotations")
        }
    }

    private func readSnapshot(
        on connection: PostgresConnection, _ filter: AnnotationFilter, since: ExportCursor?, after: ExportPosition?, asOf: ExportCursor?, withText: Bool,
        opening: (ExportOpening) async throws -> Void, row: (ExportRow) async throws -> Void
    ) async throws {
        _ = try await connection.wholeResult("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
        let cursor = try await currentCursor(on: connection)
        if let since { try Self.check(since, against: cursor) }
        if let asOf { try Self.check(asOf, against: cursor) }
        var total = 0
        for found in try await connection.wholeResult(Self.exportQuery(filter, since: since, after: after, asOf: asOf, counting: true), logger: logger) {
            total = Int(try found.decode(Int64.self))
        }
        try await opening(ExportOpening(total: total, cursor: cursor))
        var texts = LeastRecentlyUsedTexts()
        try await connection.forEachBatch(Self.exportQuery(filter, since: since, after: after, asOf: asOf, counting: false), logger: logger) { rows in
            for found in rows {
                let (body, project, document, start, title, sha) = try found.decode((ByteBuffer, String, String, Int32, String, String).self)
                let state = try Self.decodeState(body)
                let key = DocumentKey(project: try ProjectID(project), document: try DocumentID(document))
                var text: DocumentText?
                if withText {
                    text = try await texts.text(of: key) { key throws(StoreError) in try await self.document(key)?.text }
                }
                try await row(
                    ExportRow(
                        state: state, documentTitle: title, documentSHA256: sha, text: text,
                        position: ExportPosition(document: key, start: Int(start), annotation: state.id)
                    )
                )
            }
        }
        _ = try await connection.wholeResult("COMMIT", logger: logger)
    }

    /// Refuses a filter naming a project or document this database does not hold (a typo
    /// would otherwise export nothing, silently).
    ///
    /// - Throws: ``StoreError/Code/notFound`` naming it; ``StoreError/Code/unavailable`` when PostgreSQL cannot be reached.
    public func checkExists(_ filter: AnnotationFilter) async throws(StoreError) {
        guard let project = filter.project else { return }
        guard try await projects().contains(where: { $0.id == project }) else {
            throw StoreError(.notFound, "no project '\(project)' in this database (glossd project list shows them)")
        }
        for document in filter.documents where try await self.document(DocumentKey(project: project, document: document)) == nil {
            throw StoreError(.notFound, "no document '\(document)' in project '\(project)'")
        }
    }

    /// The cursor naming this transaction's snapshot.
    private func currentCursor(on connection: PostgresConnection) async throws -> ExportCursor {
        let query: PostgresQuery = """
            SELECT export_token, (SELECT oid FROM pg_database WHERE datname = current_database())::bigint, pg_current_snapshot()::text FROM site
            """
        for found in try await connection.wholeResult(query, logger: logger) {
            let (token, oid, snapshot) = try found.decode((UUID, Int64, String).self)
            if let oid = UInt32(exactly: oid), let cursor = ExportCursor(database: token, databaseOID: oid, snapshot: snapshot) { return cursor }
            throw StoreError(.internalError, "PostgreSQL gave a snapshot Gloss cannot read: \(Excerpt.quoted(snapshot))")
        }
        throw StoreError(.internalError, "the site table is empty; run glossd migrate")
    }

    /// Refuses a cursor this database cannot continue from (`now` is the database's own).
    ///
    /// - Throws: ``StoreError/Code/invalidCursor`` for another database's cursor, one from before a restore, or one ahead.
    public static func check(_ since: ExportCursor, against now: ExportCursor) throws(StoreError) {
        guard since.database == now.database else {
            throw StoreError(
                .invalidCursor,
                "the cursor comes from another database; export in full, without --since, to get a cursor of this one"
            )
        }
        guard since.databaseOID == now.databaseOID else {
            throw StoreError(
                .invalidCursor,
                "the cursor comes from this database before it was restored from a dump (or copied), whose transaction numbers do not carry over; export in full, without --since, to get a cursor of the restored database"
            )
        }
        guard since.xmax <= now.xmax else {
            throw StoreError(
                .invalidCursor,
                "the cursor is ahead of this database (transaction \(since.xmax), the database is at \(now.xmax)): it was restored from an older backup, so changes since the cursor may be missing; export in full, without --since"
            )
        }
    }

    /// The rows (or their count) an export returns.
    static func exportQuery(_ filter: AnnotationFilter, since: ExportCursor?, after: ExportPosition?, asOf: ExportCursor? = nil, counting: Bool) -> PostgresQuery {
        var query = QueryBuilder(
            counting
                ? "SELECT count(*) FROM annotations a WHERE a.created AND a.project_id IS NOT NULL"
                : """
                SELECT a.state, a.project_id, a.document_id, a.span_start, coalesce(d.title, ''), coalesce(d.sha256, '')
                FROM annotations a LEFT JOIN documents d ON d.project_id = a.project_id AND d.id = a.document_id
                WHERE a.created AND a.project_id IS NOT NULL
                """
        )
        if let project = filter.project?.rawValue { query.add(" AND a.project_id = ?", project) }
        if !filter.documents.isEmpty { query.add(" AND a.document_id = ANY(?)", filter.documents.map(\.rawValue)) }
        if let label = filter.label { query.add(" AND a.label = ?", label) }
        if let author = filter.author { query.add(" AND a.last_author = ?", author) }
        if let status = filter.status?.rawValue { query.add(" AND a.status = ?", status) }
        if let changed = filter.changedSince { query.add(" AND a.updated_hlc > ?", Int64(clamping: changed.rawValue)) }
        if filter.onlyConflicted { query.add(" AND (a.conflicted OR a.delete_conflict)") }
        if let since {
            query.add(" AND a.change_xid >= ?::xid8", String(since.xmin))
            query.add(" AND NOT pg_visible_in_snapshot(a.change_xid, ?::pg_snapshot)", since.snapshot)
        } else if !filter.includeDeleted {
            query.add(" AND NOT a.deleted")
        }
        if let asOf { query.add(" AND pg_visible_in_snapshot(a.change_xid, ?::pg_snapshot)", asOf.snapshot) }
        if let after {
            query.add(" AND (a.project_id, a.document_id, a.span_start, a.id) > (?", after.document.project.rawValue)
            query.add(", ?", after.document.document.rawValue)
            query.add(", ?", Int32(clamping: after.start))
            query.add(", ?)", after.annotation.uuid)
        }
        if !counting { query.add(" ORDER BY a.project_id, a.document_id, a.span_start, a.id") }
        return query.query
    }
}

/// Builds a query from conditions that are present or not, numbering the parameters as they come.
struct QueryBuilder {
    private var sql: String
    private var binds = PostgresBindings()

    init(_ sql: String) { self.sql = sql }

    /// Appends `fragment`, its `?` standing for `value`.
    mutating func add(_ fragment: String, _ value: some PostgresDynamicTypeEncodable) {
        binds.append(value)
        sql += fragment.replacingOccurrences(of: "?", with: "$\(binds.count)")
    }

    /// Appends a fragment without parameters.
    mutating func add(_ fragment: String) { sql += fragment }

    var query: PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: binds) }
}

/// The texts of the few documents an export is in (it reads in document order, so one or two at a time).
private struct LeastRecentlyUsedTexts {
    private var recent: [(DocumentKey, DocumentText)] = []

    mutating func text(of key: DocumentKey, load: (DocumentKey) async throws(StoreError) -> DocumentText?) async throws(StoreError) -> DocumentText? {
        if let found = recent.first(where: { $0.0 == key }) { return found.1 }
        guard let text = try await load(key) else { return nil }
        recent.insert((key, text), at: 0)
        if recent.count > 4 { recent.removeLast() }
        return text
    }
}
