import GlossCore
import GlossStore
import GlossTestSupport
import Testing

@Suite("Store reads", .timeLimit(.minutes(2)))
struct ReadTests {
    @Test("Documents round-trip; a different text under the same id is refused")
    func documents() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                try await store.putDocument(sampleDocument)
                let loaded = try #require(try await store.document(sampleDocument.key))
                #expect(DocumentText.sameScalars(loaded.text.text, sampleDocument.text.text))
                #expect(loaded.text.sha256 == sampleDocument.text.sha256)
                #expect(try await store.documents(in: ProjectID("news")).map(\.id) == [sampleDocument.id])
                let other = try Document(id: sampleDocument.id, project: ProjectID("news"), title: "x", text: "another text")
                await #expect { try await store.putDocument(other) } throws: { ($0 as? StoreError)?.code == .documentExists }
                #expect(try await store.document(DocumentKey(project: ProjectID("news"), document: DocumentID("missing"))) == nil)
                // Document ids are unique within a project: another project's "article" is another document.
                let elsewhere = try Document(id: sampleDocument.id, project: ProjectID("other"), title: "Elsewhere", text: "another text")
                try await store.putDocument(elsewhere)
                #expect(try await store.document(elsewhere.key)?.text.text == "another text")
                #expect(try await store.document(sampleDocument.key)?.text.sha256 == sampleDocument.text.sha256)
                #expect(try await store.projects(holding: sampleDocument.id, among: [ProjectID("news"), ProjectID("other")]).map(\.rawValue) == ["news", "other"])
                #expect(try await store.projects(holding: sampleDocument.id, among: [ProjectID("secret")]).isEmpty)
            }
        }
    }

    @Test("Listings filter by project, document, label, author, status, change time and deletion")
    func filters() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let span = try sampleDocument.text.span(quoting: "Kishida’s")
                let a = AnnotationID.random()
                let b = AnnotationID.random()
                let c = AnnotationID.random()
                _ = try await store.perform(.create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: span, label: "PERSON")), on: a, by: "ana")
                _ = try await store.perform(.create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: span, label: "PLACE")), on: b, by: "ben")
                let created = try await store.perform(.create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: span, label: "PERSON")), on: c, by: "ana")
                _ = try await store.perform(.set(.review(Review(status: .accepted, comment: "fine"))), on: b, by: "rev")
                _ = try await store.perform(.delete, on: c, by: "ana")

                func ids(_ filter: AnnotationFilter) async throws -> Set<AnnotationID> {
                    Set(try await store.list(filter).annotations.map(\.id))
                }
                #expect(try await ids(AnnotationFilter()) == [a, b])
                #expect(try await ids(AnnotationFilter(includeDeleted: true)) == [a, b, c])
                #expect(try await ids(AnnotationFilter(project: ProjectID("news"), label: "PERSON")) == [a])
                #expect(try await ids(AnnotationFilter(project: ProjectID("elsewhere"))) == [])
                #expect(try await ids(AnnotationFilter(documents: [sampleDocument.id])) == [a, b])
                #expect(try await ids(AnnotationFilter(author: "rev")) == [b])
                #expect(try await ids(AnnotationFilter(status: .accepted)) == [b])
                #expect(try await ids(AnnotationFilter(changedSince: created.timestamp, includeDeleted: true)) == [b, c])
                #expect(try await store.annotations(of: sampleDocument.key).map(\.id).sorted() == [a, b].sorted())
                let view = try #require(try await store.annotation(b)?.view)
                #expect(view.review.value == Review(status: .accepted, comment: "fine"))

                var streamed: [AnnotationID] = []
                try await store.forEachAnnotation(AnnotationFilter(includeDeleted: true)) { state, _ in streamed.append(state.id) }
                #expect(Set(streamed) == [a, b, c])

                let page = try await store.list(AnnotationFilter(includeDeleted: true), limit: 2)
                #expect(page.annotations.count == 2)
                let rest = try await store.list(AnnotationFilter(includeDeleted: true), after: try #require(page.nextCursor), limit: 2)
                #expect(rest.annotations.count == 1 && rest.nextCursor == nil)
            }
        }
    }

    @Test("Operations after a version vector come in batches, in order")
    func operationsAfterVector() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 5, steps: 300)
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.apply(operations)
                let vector = try await store.versionVector()
                #expect(try await store.operations(after: vector).isEmpty)
                var fetched: [AnnotationOperation] = []
                var cursor: Dot?
                while true {
                    let batch = try await store.operations(after: VersionVector(), from: cursor, limit: 37)
                    fetched += batch
                    guard let last = batch.last, batch.count == 37 else { break }
                    cursor = last.dot
                }
                #expect(fetched.map(\.dot) == operations.map(\.dot).sorted())
                let first = try #require(vector.entries.first)
                let partial = VersionVector([(first.replica, first.counter / 2)])
                let remaining = try await store.operations(after: partial, limit: 100_000)
                #expect(remaining.count == operations.count - Int(first.counter / 2))
            }
        }
    }

    @Test("Many concurrent single-annotation reads share queries and each gets its own annotation (or nil)")
    func concurrentReads() async throws {
        let (operations, _) = WriteTests.simulatedOperations(seed: 9, steps: 400)
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.apply(operations)
                var expected: [AnnotationID: AnnotationState] = [:]
                for operation in operations { expected[operation.annotation, default: AnnotationState(id: operation.annotation)].apply(operation) }
                let ids = Array(expected.keys) + (0..<20).map { _ in AnnotationID.random() }
                let results = try await withThrowingTaskGroup(of: (AnnotationID, AnnotationState?).self) { group in
                    for _ in 0..<5 {
                        for id in ids.shuffled() { group.addTask { (id, try await store.annotation(id)) } }
                    }
                    var results: [(AnnotationID, AnnotationState?)] = []
                    for try await result in group { results.append(result) }
                    return results
                }
                #expect(results.count == ids.count * 5)
                for (id, state) in results { #expect(state == expected[id], "\(id)") }
            }
        }
    }
}
