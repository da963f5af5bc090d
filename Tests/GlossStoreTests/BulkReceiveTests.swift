import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import NIOCore
import Testing

@Suite("Store: large batches from peers", .timeLimit(.minutes(2)))
struct BulkReceiveTests {
    /// One number for every column of every stored operation, in dot order.
    static let logFingerprint = """
        SELECT ('x' || substr(md5(string_agg(origin || ' ' || counter || ' ' || hlc || ' ' || annotation_id || ' ' || kind || ' ' || encode(body, 'hex'),
            ',' ORDER BY origin, counter)), 1, 15))::bit(60)::bigint FROM operations
        """

    @Test("A large batch is stored by COPY exactly as small batches are by statement: the same rows, vector and states")
    func copySameAsStatement() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 31, steps: 3_000)
        #expect(operations.count >= 1_000)
        try await withTestDatabase { copied in
            try await withTestDatabase { stated in
                let bulk = try await copied.withStore { store in try await store.apply(operations) }
                #expect(bulk.applied.count == operations.count)
                try await stated.withStore { store in
                    for start in stride(from: 0, to: operations.count, by: 100) {
                        try await store.apply(Array(operations[start..<min(start + 100, operations.count)]))
                    }
                }
                #expect(try await copied.count(Self.logFingerprint) == (try await stated.count(Self.logFingerprint)))
                #expect(try await copied.count("SELECT count(*) FROM operations") == operations.count)
                for database in [copied, stated] {
                    let vector = try await database.withStore(replica: "check") { try await $0.versionVector() }
                    #expect(vector == CausalContext(vector: VersionVector(), dots: operations.map(\.dot)).vector)
                }
                let digestsCopied = try await copied.withStore(replica: "check") { try await $0.documentDigests() }
                let digestsStated = try await stated.withStore(replica: "check") { try await $0.documentDigests() }
                #expect(digestsCopied == digestsStated)
            }
        }
    }

    @Test("A COPY that meets operations another process stored first falls back to the statement and stores the rest once")
    func copyMeetsStoredOperations() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 37, steps: 3_000)
        try await withTestDatabase { database in
            try await database.withStore(replica: "process-2") { late in
                // process-2 reads the (empty) vector now, then process-1 stores part of the batch without telling it.
                try await late.apply(Array(operations.prefix(1)))
                _ = try await database.withStore(replica: "process-1") { early in
                    try await early.apply(Array(operations.prefix(700)))
                }
                let outcome = try await late.apply(operations)
                #expect(outcome.applied.count == operations.count - 1)
            }
            #expect(try await database.count("SELECT count(*) FROM operations") == operations.count)
            let vector = try await database.withStore(replica: "check") { try await $0.versionVector() }
            #expect(vector == CausalContext(vector: VersionVector(), dots: operations.map(\.dot)).vector)
        }
    }

    @Test("Operations to send are read as lines of base64, in batches capped in count and bytes, continuing by their last dots")
    func encodedBatches() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 41, steps: 400)
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.apply(operations)
                let all = try await store.operations(after: VersionVector(), limit: 100_000)
                var notion = VersionVector()
                var received: [AnnotationOperation] = []
                while true {
                    let batch = try await store.encodedOperations(after: notion, limit: 37, maximumBytes: 1 << 20, linePrefix: "* OP ")
                    guard batch.count > 0 else { break }
                    #expect(batch.count <= 37)
                    let decoded = try Self.decode(batch.lines, prefix: "* OP ")
                    #expect(decoded.count == batch.count)
                    received += decoded
                    for dot in batch.lastDots { notion.advance(dot.replica, to: dot.counter) }
                }
                #expect(received == all)
                let one = try await store.encodedOperations(after: VersionVector(), limit: 100, maximumBytes: 1, linePrefix: "* OP ")
                #expect(one.count == 1, "a batch holds at least one operation, however small the byte cap")
                let capped = try await store.encodedOperations(after: VersionVector(), limit: 1_000, maximumBytes: 2_000, linePrefix: "* OP ")
                #expect(capped.lines.readableBytes <= 2_000 && capped.count > 1 && capped.count < all.count)
                #expect(try Self.decode(capped.lines, prefix: "* OP ") == Array(all.prefix(capped.count)))
            }
        }
    }

    static func decode(_ lines: ByteBuffer, prefix: String) throws -> [AnnotationOperation] {
        let text = String(decoding: lines.readableBytesView, as: UTF8.self)
        #expect(text.hasSuffix("\n"))
        return try text.split(separator: "\n").map { line in
            #expect(line.hasPrefix(prefix))
            let bytes = try #require(Data(base64Encoded: String(line.dropFirst(prefix.count))))
            return try AnnotationOperation(decoding: Array(bytes))
        }
    }

    @Test("Another process's commits reach this process's applied vector (what it acknowledges to peers)")
    func otherProcessesCommitsCounted() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 43, steps: 300)
        try await withTestDatabase { database in
            try await database.withStore(replica: "listener") { listener in
                let following = Task { await listener.followOtherProcesses { _ in } }
                defer { following.cancel() }
                try await Task.sleep(for: .milliseconds(500))
                _ = try await database.withStore(replica: "writer") { writer in try await writer.apply(operations) }
                let expected = CausalContext(vector: VersionVector(), dots: operations.map(\.dot)).vector
                var vector = await listener.appliedVector()
                for _ in 0..<100 where vector != expected {
                    try await Task.sleep(for: .milliseconds(100))
                    vector = await listener.appliedVector()
                }
                #expect(vector == expected)
            }
        }
    }

    static let smallGroups: GlossStore.Options = {
        var options = GlossStore.Options()
        options.maximumReceivedGroup = 600
        return options
    }()

    @Test("Batches from peers committed one group while the next is prepared on top of it give GlossCore's state, also while another process writes the same annotations")
    func pipelinedGroups() async throws {
        let (operations, expected) = WriteTests.simulatedOperations(seed: 47, steps: 3_000)
        // Small groups, so that many follow one another and the same annotations recur across them.
        let options = Self.smallGroups
        let batches = stride(from: 0, to: operations.count, by: 150).map { Array(operations[$0..<min($0 + 150, operations.count)]) }
        try await withTestDatabase { database in
            try await database.withStore(replica: "receiver", options: options) { store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for batch in batches { group.addTask { _ = try await store.apply(batch, progress: PeerProgress(site: "peer", catalogCursor: 1)) } }
                    try await group.waitForAll()
                }
            }
            #expect(try await database.withStore(replica: "reader") { try await WriteTests.digest(of: $0) } == expected)
            #expect(try await database.count("SELECT count(*) FROM operations") == operations.count)
            #expect(try await database.count("SELECT operations_in FROM peer_sites WHERE site = 'peer'") == operations.count)
        }
        try await withTestDatabase { database in
            async let first: Void = database.withStore(replica: "receiver-1", options: options) { store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for batch in batches { group.addTask { _ = try await store.apply(batch) } }
                    try await group.waitForAll()
                }
            }
            async let second: Void = database.withStore(replica: "receiver-2", options: options) { store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for batch in batches.reversed() { group.addTask { _ = try await store.apply(batch) } }
                    try await group.waitForAll()
                }
            }
            _ = try await (first, second)
            #expect(try await database.withStore(replica: "reader") { try await WriteTests.digest(of: $0) } == expected)
            #expect(try await database.count("SELECT count(*) FROM operations") == operations.count)
        }
    }
}
