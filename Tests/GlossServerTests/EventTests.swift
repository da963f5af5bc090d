import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Live events: every change, in order, exactly once, only where the subscriber may look.
@Suite("Subscriptions", .timeLimit(.minutes(2)))
struct EventTests {
    @Test("A subscriber receives every event of a pipelined burst from two writers, in commit order, exactly once")
    func burst() async throws {
        try await ServerProcess.with { server in
            let watcher = try await server.connect(as: "rita")
            let subscribed = try await watcher.send(.subscribe(.document(DocumentReference(try DocumentID("article"))))).reply
            #expect(subscribed["sub"] == "1")
            let secret = try await server.connect(as: "sam")
            _ = try await secret.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("hidden")), target: .offsets(start: 0, end: 6))))

            let perWriter = 100
            let writers = [try await server.connect(as: "ana"), try await server.connect(as: "ben")]
            let acknowledged = try await withThrowingTaskGroup(of: [String].self) { group in
                for writer in writers {
                    group.addTask {
                        try await withThrowingTaskGroup(of: String.self) { requests in
                            for index in 0..<perWriter {
                                requests.addTask {
                                    let new = NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: index % 50, end: index % 50 + 5))
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
            await #expect(throws: ClientError(code: "not-found", message: "no document 'hidden' that you can see")) {
                _ = try await ana.send(.subscribe(.document(DocumentReference(try DocumentID("hidden")))))
            }
            await #expect(throws: ClientError.self) { _ = try await ana.send(.subscribe(.project(try ProjectID("secret")))) }
            await #expect(throws: ClientError.self) { _ = try await ana.send(.unsubscribe(7)) }
            await ana.close()
        }
    }

    @Test("A subscriber that stops reading is dropped with subscriber-too-slow and its connection closed; others carry on")
    func slowSubscriber() async throws {
        try await ServerProcess.with(arguments: ["--max-queued-events", "20"]) { server in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .file(server.caFile)
            tls.certificateVerification = .noHostnameVerification
            let context = try NIOSSLContext(configuration: tls)
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                .connect(host: "127.0.0.1", port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel, configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: 2))
                        )
                    }
                }
            let writer = try await server.connect(as: "ana")
            let note = String(repeating: "a long note to make events big. ", count: 300)
            try await channel.executeThenClose { inbound, outbound in
                var iterator = inbound.makeAsyncIterator()
                var seen = ""
                func readUntil(_ text: String) async throws {
                    while !seen.contains(text), let chunk = try await iterator.next() { seen += String(buffer: chunk) }
                }
                try await readUntil("* GLOSS")
                try await outbound.write(ByteBuffer(string: "a1 AUTH token=\(server.tokens["rita"]!)\ns1 SUBSCRIBE doc=article\n"))
                try await readUntil("s1 OK sub=1")

                // Stop reading; make far more events than socket buffers and the queue hold.
                for round in 0..<6 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for index in 0..<100 {
                            group.addTask {
                                let new = NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: index % 40, end: index % 40 + 3), note: note)
                                _ = try await writer.send(.add(new), key: "slow-\(round)-\(index)")
                            }
                        }
                        try await group.waitForAll()
                    }
                }
                let deadline = ContinuousClock.now + .seconds(10)
                while !server.log.contains("dropped a subscriber that stopped reading"), ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(server.log.contains("dropped a subscriber that stopped reading"), "\(server.log)")
                _ = try await writer.send(.ping)
                await writer.close()

                // Still not reading: a client that never reads must not hold glossd's shutdown open.
                let stopped = ContinuousClock.now
                #expect(await server.stop(within: .seconds(20)) == 0, "\(server.log)")
                #expect(ContinuousClock.now - stopped < .seconds(15))

                // Reading again: the connection ends (with the BYE if it got through) well before all 600 events.
                var events = 0
                let ended = ContinuousClock.now + .seconds(10)
                do {
                    while ContinuousClock.now < ended, let chunk = try await iterator.next() {
                        let text = String(buffer: chunk)
                        events += text.components(separatedBy: "* EVENT").count - 1
                        seen += text
                    }
                } catch {}
                #expect(ContinuousClock.now < ended, "the server closed the connection")
                #expect(events < 600, "the subscriber was cut off (\(events) events arrived)")
            }
        }
    }
}
