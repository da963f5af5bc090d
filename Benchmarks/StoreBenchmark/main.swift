// The GlossStore ingest benchmark: concurrent single-operation writers with
// group commit, and bulk apply of 1M operations beside COPY of the same rows,
// on the PostgreSQL cluster named by --database-url. Prints one `key=value`
// line per measurement; scripts/bench-store runs it beside pgbench.
import Foundation
import GlossCore
import GlossStore
import Logging
import NIOCore
import PostgresNIO

struct Options {
    var databaseURL = ""
    var clients = [1, 8, 32, 64]
    var seconds = 10
    var annotations = 100_000
    var bulkOperations = 1_000_000

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { break }
            switch flag {
            case "--database-url": databaseURL = value
            case "--clients": clients = value.split(separator: " ").compactMap { Int($0) }
            case "--seconds": seconds = Int(value) ?? seconds
            case "--annotations": annotations = Int(value) ?? annotations
            case "--bulk-operations": bulkOperations = Int(value) ?? bulkOperations
            default: FileHandle.standardError.write(Data("ignoring unknown option \(flag)\n".utf8))
            }
        }
    }
}

let note = "Reviewed the cited passage; the claim about group commit needs a source. Tagging for follow-up by the second reviewer before merge."
let options = Options(arguments: Array(CommandLine.arguments.dropFirst()))
let logger: Logger = {
    var logger = Logger(label: "bench")
    logger.logLevel = .error
    return logger
}()
let database = try DatabaseConfiguration(url: options.databaseURL)

func log(_ message: String) { FileHandle.standardError.write(Data("\(message)\n".utf8)) }

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1_000 + Double(duration.components.attoseconds) / 1e15
}

/// Runs `body` with a migrated store on a fresh database `name`.
func withFreshStore<Result: Sendable>(
    _ name: String, connections: Int, _ body: @Sendable @escaping (GlossStore) async throws -> Result
) async throws -> Result {
    var admin = database
    admin.database = "postgres"
    try await GlossStore(database: admin, replica: try ReplicaID("admin"), logger: logger).withRunning { adminStore in
        _ = try await adminStore.client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"), logger: logger).collect()
        _ = try await adminStore.client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger).collect()
    }
    var configuration = database
    configuration.database = name
    configuration.maximumConnections = connections
    let store = GlossStore(database: configuration, replica: try ReplicaID("bench-site"), logger: logger)
    return try await store.withRunning { store in
        try await store.migrate(migrations: try Migration.load(from: Migration.defaultFolder()))
        return try await body(store)
    }
}

/// Creates `count` annotations through bulk apply and returns their ids.
func seed(_ store: GlossStore, count: Int) async throws -> [AnnotationID] {
    let document = try Document(id: DocumentID("bench-doc"), project: ProjectID("bench"), title: "Bench", text: String(repeating: "Kishida’s visit to Washington. ", count: 200))
    try await store.putDocument(document)
    var seeder = Replica(id: try ReplicaID("seeder"))
    var ids: [AnnotationID] = []
    var batch: [AnnotationOperation] = []
    for index in 0..<count {
        let id = AnnotationID.random()
        let span = try document.text.span(start: index % 5_000, end: index % 5_000 + 40)
        batch.append(try seeder.perform(.create(AnnotationSeed(project: document.project, document: document.id, span: span, label: "label-\(index % 8)", tags: ["review"])), on: id, by: "seeder", wallClockMilliseconds: 1_700_000_000_000 + UInt64(index)))
        ids.append(id)
        if batch.count == 5_000 {
            try await store.apply(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
    try await store.apply(batch)
    return ids
}

// Ingest: N writers, each performing one operation at a time and waiting for it to be durable.
for clients in options.clients {
    let result = try await withFreshStore("gloss_bench_ingest", connections: 8) { store in
        let ids = try await seed(store, count: options.annotations)
        log("seeded \(ids.count) annotations; \(clients) writers for \(options.seconds) s")
        let before = await store.commitStatistics()
        let deadline = ContinuousClock.now + .seconds(options.seconds)
        let start = ContinuousClock.now
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for writer in 0..<clients {
                group.addTask {
                    var random = SystemRandomNumberGenerator()
                    var samples: [Double] = []
                    while ContinuousClock.now < deadline {
                        let id = ids[Int(random.next() % UInt64(ids.count))]
                        let began = ContinuousClock.now
                        _ = try await store.perform(.set(.note(note)), on: id, by: "writer-\(writer)")
                        samples.append(milliseconds(ContinuousClock.now - began))
                    }
                    return samples
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }.sorted()
        }
        let elapsed = milliseconds(ContinuousClock.now - start) / 1_000
        let after = await store.commitStatistics()
        return (latencies, elapsed, after.commits - before.commits)
    }
    let (latencies, elapsed, commits) = result
    print(String(
        format: "gloss_ingest clients=%d ops_per_sec=%.0f p50_ms=%.2f p99_ms=%.2f commits=%d ops_per_commit=%.1f",
        clients, Double(latencies.count) / elapsed, percentile(latencies, 0.5), percentile(latencies, 0.99), commits,
        Double(latencies.count) / Double(max(1, commits))
    ))
}

// Bulk: 1M operations made elsewhere, applied in batches, beside COPY of the same rows.
if options.bulkOperations > 0 {
    var author = Replica(id: try ReplicaID("remote-site"))
    let document = try DocumentID("bench-doc")
    let text = DocumentText(String(repeating: "Kishida’s visit to Washington. ", count: 200))
    var ids: [AnnotationID] = []
    var operations: [AnnotationOperation] = []
    operations.reserveCapacity(options.bulkOperations)
    var random = SystemRandomNumberGenerator()
    for index in 0..<options.bulkOperations {
        let wall = 1_700_000_000_000 + UInt64(index)
        if ids.count < 10_000 {
            let id = AnnotationID.random()
            let span = try text.span(start: index % 5_000, end: index % 5_000 + 40)
            operations.append(try author.perform(.create(AnnotationSeed(project: try ProjectID("bench"), document: document, span: span, label: "PERSON")), on: id, by: "remote", wallClockMilliseconds: wall))
            ids.append(id)
        } else {
            let id = ids[Int(random.next() % UInt64(ids.count))]
            let payload: AnnotationOperation.Payload = index % 2 == 0 ? .set(.note(note)) : .set(.label("label-\(index % 8)"))
            operations.append(try author.perform(payload, on: id, by: "remote", wallClockMilliseconds: wall))
        }
    }
    let bulk = operations
    log("applying \(bulk.count) operations in batches of 10,000")
    let bulkSeconds = try await withFreshStore("gloss_bench_bulk", connections: 4) { store in
        let start = ContinuousClock.now
        for offset in stride(from: 0, to: bulk.count, by: 10_000) {
            try await store.apply(Array(bulk[offset..<min(offset + 10_000, bulk.count)]))
        }
        return milliseconds(ContinuousClock.now - start) / 1_000
    }
    print(String(format: "gloss_bulk_apply ops=%d seconds=%.2f ops_per_sec=%.0f", bulk.count, bulkSeconds, Double(bulk.count) / bulkSeconds))

    log("copying the same \(bulk.count) rows into a plain table")
    let copySeconds = try await withFreshStore("gloss_bench_copy", connections: 2) { store in
        _ = try await store.client.query(
            "CREATE TABLE copied (origin text, counter bigint, hlc bigint, annotation_id uuid, kind text, body bytea, PRIMARY KEY (origin, counter))",
            logger: logger
        ).collect()
        // COPY's input is formatted before timing starts: the baseline measures PostgreSQL loading rows.
        var chunks: [ByteBuffer] = []
        var buffer = ByteBuffer()
        let digits = Array("0123456789abcdef".utf8)
        for operation in bulk {
            buffer.writeString("\(operation.dot.replica.rawValue)\t\(operation.dot.counter)\t\(operation.timestamp.rawValue)\t\(operation.annotation)\tset\t\\\\x")
            for byte in operation.encoded() { buffer.writeBytes([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]) }
            buffer.writeString("\n")
            if buffer.readableBytes > 1 << 20 {
                chunks.append(buffer)
                buffer = ByteBuffer()
            }
        }
        chunks.append(buffer)
        let prepared = chunks
        let start = ContinuousClock.now
        try await store.client.withConnection { connection in
            try await connection.copyFrom(table: "copied", columns: ["origin", "counter", "hlc", "annotation_id", "kind", "body"], logger: logger) { writer in
                for chunk in prepared { try await writer.write(chunk) }
            }
        }
        return milliseconds(ContinuousClock.now - start) / 1_000
    }
    print(String(format: "copy_rows rows=%d seconds=%.2f rows_per_sec=%.0f", bulk.count, copySeconds, Double(bulk.count) / copySeconds))
}
