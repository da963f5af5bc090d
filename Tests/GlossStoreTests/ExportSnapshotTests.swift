import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Logging
import PostgresNIO
import Testing

@Suite("Export snapshots and cursors", .timeLimit(.minutes(2)))
struct ExportSnapshotTests {
    /// Every row of one export, with its opening.
    struct Export {
        var opening: ExportOpening?
        var rows: [ExportRow] = []
        var ids: [AnnotationID] { rows.map(\.state.id) }
    }

    static func export(
        _ store: GlossStore, _ filter: AnnotationFilter = AnnotationFilter(), since: ExportCursor? = nil, after: ExportPosition? = nil,
        withText: Bool = false
    ) async throws -> Export {
        var result = Export()
        try await store.export(filter, since: since, after: after, withText: withText) { result.opening = $0 } row: { result.rows.append($0) }
        return result
    }

    static func create(_ store: GlossStore, _ quote: String, label: String, by author: String = "ana") async throws -> AnnotationID {
        let id = AnnotationID.random()
        let seed = AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: try sampleDocument.text.span(quoting: quote), label: label)
        _ = try await store.perform(.create(seed), on: id, by: author)
        return id
    }

    @Test("A full export is in document and span order, counted first, deleted ones only when asked, with texts when asked")
    func fullExport() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let later = try await Self.create(store, "security", label: "PERSON")
                let first = try await Self.create(store, "Kishida’s", label: "PERSON")
                let gone = try await Self.create(store, "talks", label: "PLACE")
                _ = try await store.perform(.delete, on: gone, by: "ana")

                let live = try await Self.export(store)
                #expect(live.opening?.total == 2)
                let starts = live.rows.map(\.position.start)
                #expect(starts == starts.sorted())
                #expect(Set(live.ids) == [later, first])
                #expect(live.rows.allSatisfy { $0.documentSHA256 == sampleDocument.text.sha256 && $0.documentTitle == sampleDocument.title && $0.text == nil })

                let all = try await Self.export(store, AnnotationFilter(includeDeleted: true), withText: true)
                #expect(all.opening?.total == 3 && Set(all.ids) == [later, first, gone])
                #expect(all.rows.allSatisfy { $0.text?.sha256 == sampleDocument.text.sha256 })

                let people = try await Self.export(store, AnnotationFilter(project: sampleDocument.project, label: "PERSON"))
                #expect(Set(people.ids) == [later, first])
                #expect(try await Self.export(store, AnnotationFilter(project: ProjectID("elsewhere"))).rows.isEmpty)

                // Resuming after the first row returns the rest, in the same order.
                let rest = try await Self.export(store, after: live.rows[0].position)
                #expect(rest.ids == Array(live.ids.dropFirst()))
                #expect(ExportPosition(live.rows[0].position.description) == live.rows[0].position)
            }
        }
    }

    @Test("The next export from a cursor returns exactly what changed: edits, deletes and restores once, deletions as records")
    func incremental() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let edited = try await Self.create(store, "security", label: "PERSON")
                let deleted = try await Self.create(store, "Kishida’s", label: "PERSON")
                let restored = try await Self.create(store, "talks", label: "PLACE")
                let untouched = try await Self.create(store, "United", label: "PLACE")
                _ = try await store.perform(.delete, on: restored, by: "ana")
                let first = try await Self.export(store)
                #expect(Set(first.ids) == [edited, deleted, untouched])
                let cursor = try #require(first.opening?.cursor)
                #expect(try ExportCursor(cursor.description) == cursor)

                #expect(try await Self.export(store, since: cursor).rows.isEmpty)
                _ = try await store.perform(.set(.label("OFFICIAL")), on: edited, by: "ben")
                _ = try await store.perform(.set(.note("twice")), on: edited, by: "ben")
                _ = try await store.perform(.delete, on: deleted, by: "ben")
                _ = try await store.perform(.restore, on: restored, by: "ben")
                let added = try await Self.create(store, "Washington", label: "PLACE")

                let second = try await Self.export(store, since: cursor)
                #expect(second.ids.count == 4)
                #expect(Set(second.ids) == [edited, deleted, restored, added])
                #expect(second.opening?.total == 4)
                let byID = Dictionary(uniqueKeysWithValues: second.rows.map { ($0.state.id, $0.state.view!) })
                #expect(byID[edited]?.label.value == "OFFICIAL" && byID[edited]?.note.value == "twice")
                #expect(byID[deleted]?.deletion == .deleted)
                #expect(byID[restored]?.deletion == .live)

                // A filter applies to what changed.
                let places = try await Self.export(store, AnnotationFilter(label: "PLACE"), since: cursor)
                #expect(Set(places.ids) == [restored, added])
                let third = try await Self.export(store, since: try #require(second.opening?.cursor))
                #expect(third.rows.isEmpty)
            }
        }
    }

    @Test("A change whose transaction was in progress when the cursor was taken comes in the next export, though it committed after later ones")
    func commitOrder() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let slow = try await Self.create(store, "security", label: "PERSON")
                let fast = try await Self.create(store, "talks", label: "PLACE")
                let configuration = database.configuration
                let connection = try await PostgresConnection.connect(
                    configuration: .init(
                        host: configuration.host, port: configuration.port, username: configuration.username, password: nil,
                        database: configuration.database, tls: .disable
                    ),
                    id: 7, logger: Logger(label: "test.export")
                )
                // Another writer's transaction changes a row and stays open across the export.
                let logger = Logger(label: "test.export")
                try await connection.query("BEGIN", logger: logger)
                try await connection.query(PostgresQuery(unsafeSQL: "UPDATE annotations SET label = 'SLOW' WHERE id = '\(slow)'"), logger: logger)
                let first = try await Self.export(store)
                let cursor = try #require(first.opening?.cursor)
                #expect(!cursor.inProgress.isEmpty || cursor.xmin < cursor.xmax)
                // A later transaction commits first.
                _ = try await store.perform(.set(.label("FAST")), on: fast, by: "ben")
                try await connection.query("COMMIT", logger: logger)
                try await connection.close()
                let next = try await Self.export(store, since: cursor)
                #expect(Set(next.ids) == [slow, fast])
            }
        }
    }

    @Test("A cursor of another database, one ahead of this database, and a malformed one are refused with invalid-cursor")
    func refusedCursors() async throws {
        let zero = String(repeating: "0", count: 32)
        for text in ["", "gloss1", "gloss2-\(zero)-7-1-2", "gloss1-xyz-7-1-2", "gloss1-\(zero)-7-5-2", "gloss1-\(zero)-1-2",
                     "gloss1-\(zero)-7-1-9-12", "gloss1-\(zero)-7-01-2", "gloss1-\(zero)-7-1--2", "gloss1-\(zero)-99999999999-1-2",
                     "gloss1-\(zero)-7-1-2\u{1b}[31m"]
        {
            #expect { try ExportCursor(text) } throws: { ($0 as? StoreError)?.code == .invalidCursor }
        }
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                _ = try await Self.create(store, "security", label: "PERSON")
                let cursor = try #require(try await Self.export(store).opening?.cursor)
                let foreign = ExportCursor(database: UUID(), databaseOID: cursor.databaseOID, xmin: cursor.xmin, xmax: cursor.xmax, inProgress: [])
                await #expect { try await Self.export(store, since: foreign) } throws: {
                    ($0 as? StoreError)?.code == .invalidCursor && "\($0)".contains("another database")
                }
                let restored = ExportCursor(database: cursor.database, databaseOID: cursor.databaseOID &+ 1, xmin: cursor.xmin, xmax: cursor.xmax, inProgress: [])
                await #expect { try await Self.export(store, since: restored) } throws: {
                    ($0 as? StoreError)?.code == .invalidCursor && "\($0)".contains("restored from a dump")
                }
                let ahead = ExportCursor(database: cursor.database, databaseOID: cursor.databaseOID, xmin: cursor.xmax + 1_000, xmax: cursor.xmax + 1_000, inProgress: [])
                await #expect { try await Self.export(store, since: ahead) } throws: {
                    ($0 as? StoreError)?.code == .invalidCursor && "\($0)".contains("ahead")
                }
            }
        }
    }
}
