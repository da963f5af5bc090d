import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import PostgresNIO
import Testing

@Suite("glossd export when PostgreSQL drops its connection")
struct ExportInterruptionTests {
    /// Seeds `count` annotations over `documents` documents of one project, as operations from another site.
    static func seed(_ store: GlossStore, count: Int, documents: Int) async throws {
        let text = DocumentText(String(repeating: "Kishida’s visit to Washington follows the talks. ", count: 40))
        var author = Replica(id: try ReplicaID("seeder"))
        var batch: [AnnotationOperation] = []
        for number in 0..<documents {
            try await store.putDocument(try Document(id: DocumentID("doc-\(number)"), project: ProjectID("news"), title: "Document \(number)", text: text.text))
        }
        for index in 0..<count {
            let span = try text.span(start: index % 1_900, end: index % 1_900 + 20)
            let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc-\(index % documents)"), span: span, label: "PERSON", note: "note \(index)")
            batch.append(try author.perform(.create(seed), on: AnnotationID.random(), by: "seeder", wallClockMilliseconds: 1_700_000_000_000 + UInt64(index)))
            if batch.count == 5_000 {
                _ = try await store.apply(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        _ = try await store.apply(batch)
    }

    /// How the export loses PostgreSQL.
    enum Drop: String, CaseIterable, Sendable {
        /// The server ends the session with an error (pg_terminate_backend, as an administrator or a failover does).
        case terminated
        /// The network drops: the connection closes with no word from the server.
        case cut
    }

    /// When the export loses PostgreSQL.
    enum Window: String, CaseIterable, Sendable {
        /// While PostgreSQL runs a FETCH of the export's cursor.
        case active
        /// Between batches the export's session is idle in its transaction, its last query the FETCH.
        case idleInTransaction = "idle in transaction"
    }

    @Test(
        "PostgreSQL drops the export's connection mid-stream: glossd export exits 69 in words (no crash, no hang), keeps the partial file, and --resume completes it",
        arguments: Drop.allCases, Window.allCases
    )
    func droppedMidStream(_ drop: Drop, _ window: Window) async throws {
        try await withTestDatabase { database in
            let total = 60_000
            try await database.withStore { store in try await Self.seed(store, count: total, documents: 30) }
            let proxy = try await FaultProxy(to: database.configuration.port, seed: 1)
            let url = "postgres://\(database.configuration.username)@127.0.0.1:\(proxy.port)/\(database.configuration.database)"
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-cut-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let output = folder.appendingPathComponent("all.jsonl")

            let export = Task { try await GlossdCommandTests.run(["export", "--database-url", url, "-o", output.path], limitSeconds: 120) }
            var running = 0
            for _ in 0..<600 where running == 0 {
                try await Task.sleep(for: .milliseconds(20))
                let found = "FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'FETCH %' AND state = '\(window.rawValue)'"
                running = try await database.count(drop == .terminated ? "SELECT count(pg_terminate_backend(pid)) \(found)" : "SELECT count(*) \(found)")
            }
            #expect(running == 1, "the export's query was seen running")
            if drop == .cut { proxy.cutLink() }
            let cut = try await export.value
            #expect(cut.status == 69, "\(cut.output)")
            #expect(cut.output.contains("interrupted") && cut.output.contains("--resume"), "\(cut.output)")
            #expect(!cut.output.contains("Fatal error") && !cut.output.contains("PSQLError"), "\(cut.output)")
            #expect(!FileManager.default.fileExists(atPath: output.path), "nothing at the name asked for")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).count == 1, "the partial file stays")

            await proxy.close()
            let resumed = try await GlossdCommandTests.run(["export", "--database-url", database.url, "--resume", "-o", output.path])
            #expect(resumed.status == 0, "\(resumed.output)")
            let lines = try Data(contentsOf: output).split(separator: UInt8(ascii: "\n"))
            let ids = lines.compactMap { line -> String? in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], object["type"] as? String == "annotation" else { return nil }
                return object["id"] as? String
            }
            #expect(ids.count == total && Set(ids).count == total, "every annotation once")
        }
    }
}
