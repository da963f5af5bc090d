import GlossCore
import GlossStore
import GlossTestSupport
import Testing

/// Idempotency keys: a retried write is applied once, however the retries arrive.
@Suite("Idempotent writes", .timeLimit(.minutes(2)))
struct RequestKeyTests {
    @Test("The same keyed write sent many times at once, and again later, is written once; the same key for another request is refused")
    func concurrentRetries() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let span = try sampleDocument.text.span(quoting: "Kishida’s")
                let create = AnnotationOperation.Payload.create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: span, label: "PERSON"))
                // Five requests, each sent ten times at once: copies land in the same commit group as
                // their first, and in later groups.
                let keys = (1...5).map { RequestKey(user: "ana", key: "retry-\($0)", request: "ADD doc=article quote=Kishida’s label=PERSON n=\($0)") }
                let outcomes = try await withThrowingTaskGroup(of: (Int, KeyedWrite).self) { group in
                    for copy in 0..<50 {
                        group.addTask { (copy % 5, try await store.perform([create], on: AnnotationID.random(), by: "ana", key: keys[copy % 5])) }
                    }
                    var outcomes: [(Int, KeyedWrite)] = []
                    for try await outcome in group { outcomes.append(outcome) }
                    return outcomes
                }
                var written: [Int: AnnotationID] = [:]
                var replayed: [Int: Set<AnnotationID>] = [:]
                for (request, outcome) in outcomes {
                    switch outcome {
                    case .written(let operations):
                        #expect(written[request] == nil, "request \(request) written twice")
                        written[request] = operations[0].annotation
                    case .replayed(let id, _): replayed[request, default: []].insert(id)
                    }
                }
                #expect(written.count == 5)
                for request in 0..<5 { #expect(replayed[request] == [written[request]!], "every retry names the one annotation written") }
                let key = keys[0]
                guard case .replayed(let later, _) = try await store.perform([create], on: AnnotationID.random(), by: "ana", key: key) else {
                    Issue.record("a later retry was written again")
                    return
                }
                #expect(later == written[0])
                let other = RequestKey(user: "ana", key: "retry-1", request: "ADD doc=article quote=Kishida’s label=PLACE")
                await #expect(throws: StoreError.self) { _ = try await store.perform([create], on: AnnotationID.random(), by: "ana", key: other) }
                let someoneElse = RequestKey(user: "ben", key: "retry-1", request: "ADD doc=article quote=Kishida’s label=PERSON")
                guard case .written = try await store.perform([create], on: AnnotationID.random(), by: "ben", key: someoneElse) else {
                    Issue.record("keys are per user")
                    return
                }
            }
            #expect(try await database.count("SELECT count(*)::bigint FROM annotations") == 6)
            #expect(try await database.count("SELECT count(*)::bigint FROM request_keys") == 6)
        }
    }
}
