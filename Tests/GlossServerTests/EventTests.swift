import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// Live events: every change, in order, exactly once, only where the subscriber may look.
@Suite("Subscriptions", .timeLimit(.minutes(2)))
struct EventTests {
    @Test("A subscriber receives every event of a pipelined burst from two writers, in commit order, exactly once")
    func burst() async throws {
        try await ServerProcess.with { server in
            let watcher = try await server.connect(as: "rita")
            let subscribed = try await watcher.send(.subscribe(.document(try DocumentID("article")))).reply
            #expect(subscribed["sub"] == "1")
            let secret = try await server.connect(as: "sam")
            _ = try await secret.send(.add(NewAnnotation(document: try DocumentID("hidden"), target: .offsets(start: 0, end: 6))))

            let perWriter = 100
            let writers = [try await server.connect(as: "ana"), try await server.connect(as: "ben")]
            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in writers {
                    group.addTask {
                        try await withThrowingTaskGroup(of: String.self) { requests in
                            for index in 0..<perWriter {
                                requests.addTask {
                                    let new = NewAnnotation(document: try DocumentID("article"), target: .offsets(start: index % 50, end: index % 50 + 5))
                                    return try await writer.send(.add(new)).reply["ops"]!
                                }
                            }
                            return try await requests.reduce(into: []) { $0.append($1) }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(acknowledged.count == 2 * perWriter)

            var events: [EventRecord] = []
            for await event in watcher.events {
                events.append(event)
                if events.count == acknowledged.count { break }
            }
            #expect(events.map(\.sequence) == Array(1...UInt64(acknowledged.count)), "numbered without gaps or repeats")
            #expect(Set(events.map(\.annotation.id)).count == acknowledged.count, "one event per write")
            #expect(events.allSatisfy { $0.change == "create" && $0.annotation.document.rawValue == "article" }, "no event from the other project")
            let counters = events.map { $0.annotation.revision.first!.counter }
            #expect(counters == counters.sorted(), "in commit order")
            _ = try await watcher.send(.unsubscribe(1))
            for connection in writers + [watcher, secret] { await connection.close() }
        }
    }

    @Test("Subscribing needs read access to the document or project")
    func access() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            await #expect(throws: ClientError(code: "not-found", message: "no document 'hidden'")) {
                _ = try await ana.send(.subscribe(.document(try DocumentID("hidden"))))
            }
            await #expect(throws: ClientError.self) { _ = try await ana.send(.subscribe(.project(try ProjectID("secret")))) }
            await #expect(throws: ClientError.self) { _ = try await ana.send(.unsubscribe(7)) }
            await ana.close()
        }
    }
}
