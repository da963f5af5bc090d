import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Testing

@Suite("Store: what replication needs", .timeLimit(.minutes(2)))
struct ReplicationStoreTests {
    @Test("A peer recorded up shows down once its link has not recorded for 10 s (the glossd that ran it stopped)")
    func stalePeerState() {
        let now = Date()
        func record(_ state: String, _ age: TimeInterval?) -> PeerSiteRecord {
            PeerSiteRecord(
                site: "a", state: state, address: "x:1", vector: VersionVector(), catalogCursor: 0, lastContact: age.map { now.addingTimeInterval(-$0) },
                lastError: "", operationsIn: 0, operationsOut: 0
            )
        }
        #expect(record("up", 3).currentState(now: now) == "up")
        #expect(record("up", 11).currentState(now: now) == "down")
        #expect(record("up", nil).currentState(now: now) == "down")
        #expect(record("refused", 1).currentState(now: now) == "refused")
        #expect(record("down", 1).currentState(now: now) == "down")
    }

    @Test("The catalog numbers projects and documents in commit order and reads after a cursor")
    func catalogOrder() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                #expect(try await store.catalogSequence() == 0)
                try await store.addProject(try ProjectID("news"), title: "News")
                try await store.putDocument(sampleDocument)
                try await store.putDocument(try Document(id: DocumentID("second"), project: ProjectID("news"), title: "Two", text: "two"))
                let all = try await store.catalog(after: 0)
                #expect(all.count == 3 && all.map(\.sequence) == all.map(\.sequence).sorted() && Set(all.map(\.sequence)).count == 3)
                guard case .project(let project, let title, _) = all[0], case .document(let first, _) = all[1], case .document(let second, _) = all[2] else {
                    Issue.record("unexpected catalog \(all)")
                    return
                }
                #expect(project.rawValue == "news" && title == "News")
                #expect(first.key == sampleDocument.key && first.text.sha256 == sampleDocument.text.sha256)
                #expect(second.id.rawValue == "second")
                #expect(try await store.catalog(after: all[1].sequence).map(\.sequence) == [all[2].sequence])
                #expect(try await store.catalog(after: 0, limit: 1).count == 1)
                #expect(try await store.catalogSequence() == all[2].sequence)
                try await store.putDocument(sampleDocument)
                #expect(try await store.catalog(after: all[2].sequence).isEmpty, "storing the same document again adds nothing")
            }
        }
    }

    @Test("Two sites that stored different texts under one id end with the same text, the lower SHA-256, and both see the clash")
    func documentClash() async throws {
        let ours = try Document(id: DocumentID("memo"), project: ProjectID("news"), title: "Ours", text: "our text")
        let theirs = try Document(id: DocumentID("memo"), project: ProjectID("news"), title: "Theirs", text: "their text")
        let (low, high) = ours.text.sha256 < theirs.text.sha256 ? (ours, theirs) : (theirs, ours)
        try await withTestDatabase { a in
            try await withTestDatabase { b in
                try await a.withStore(replica: "site-a") { store in try await store.putDocument(ours) }
                try await b.withStore(replica: "site-b") { store in try await store.putDocument(theirs) }
                let outcomeAtA = try await a.withStore(replica: "site-a") { store in try await store.receiveDocument(theirs) }
                let outcomeAtB = try await b.withStore(replica: "site-b") { store in try await store.receiveDocument(ours) }
                #expect([outcomeAtA, outcomeAtB].sorted { $0.rawValue < $1.rawValue } == [.kept, .replaced])
                for site in [a, b] {
                    let (stored, clashes, again) = try await site.withStore(replica: "check") { store in
                        (try await store.document(ours.key), try await store.documentClashes(), try await store.receiveDocument(low))
                    }
                    #expect(stored?.text.sha256 == low.text.sha256 && stored?.title == low.title)
                    #expect(clashes == [DocumentClash(key: ours.key, clashingSHA256: high.text.sha256)])
                    #expect(again == .same)
                }
                let repeatHigh = try await a.withStore(replica: "site-a") { store in try await store.receiveDocument(high) }
                #expect(repeatHigh == .kept)
                #expect(try await a.count("SELECT count(*) FROM document_clashes") == 1)
            }
        }
    }

    @Test("A peer's progress is recorded in the transaction of the operations it brought, even when all were known")
    func progressWithOperations() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 21, steps: 50)
        try await withTestDatabase { database in
            let (first, second) = try await database.withStore { store in
                (
                    try await store.apply(operations, progress: PeerProgress(site: "tokyo", catalogCursor: 7)),
                    try await store.apply(operations, progress: PeerProgress(site: "tokyo", catalogCursor: 5))
                )
            }
            #expect(first.applied.count == operations.count && second.duplicates == operations.count)
            #expect(try await database.count("SELECT catalog_cursor FROM peer_sites WHERE site = 'tokyo'") == 7, "the cursor never moves back")
            // Another database presenting the same site numbers its catalog anew: its cursor replaces the first one's.
            _ = try await database.withStore(migrate: false) { store in
                try await store.apply([], progress: PeerProgress(site: "tokyo", catalogCursor: 3, database: "9b2f7c1e-0000-4000-8000-000000000001"))
            }
            #expect(try await database.count("SELECT catalog_cursor FROM peer_sites WHERE site = 'tokyo' AND catalog_database = '9b2f7c1e-0000-4000-8000-000000000001'") == 3)
            #expect(try await database.count("SELECT operations_in FROM peer_sites WHERE site = 'tokyo'") == operations.count)
        }
    }

    @Test("Several batches of one peer committed together record its progress once: the highest cursor, every operation counted")
    func batchesOfOnePeerInOneGroup() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 23, steps: 80)
        // Eight batches submitted at once, so that several of them share a commit group.
        let size = (operations.count + 7) / 8
        let batches = stride(from: 0, to: operations.count, by: size).map { Array(operations[$0..<min($0 + size, operations.count)]) }
        let cursors: [UInt64] = [3, 9, 1, 2, 4, 5, 6, 7]
        try await withTestDatabase { database in
            try await database.withStore { store in
                let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                    for (batch, cursor) in zip(batches, cursors) {
                        group.addTask { try await store.apply(batch, progress: PeerProgress(site: "paris", catalogCursor: cursor)).applied.count }
                    }
                    return try await group.reduce(0, +)
                }
                #expect(applied == operations.count)
            }
            #expect(try await database.count("SELECT catalog_cursor FROM peer_sites WHERE site = 'paris'") == 9)
            #expect(try await database.count("SELECT operations_in FROM peer_sites WHERE site = 'paris'") == operations.count)
        }
    }

    @Test("Each start is a new incarnation")
    func incarnations() async throws {
        try await withTestDatabase { database in
            let numbers = try await database.withStore { store in (try await store.beginIncarnation(), try await store.beginIncarnation()) }
            #expect(numbers.0 == 1 && numbers.1 == 2)
        }
    }
}
