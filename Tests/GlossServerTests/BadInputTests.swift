import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// Every kind of bad input gets its documented error code, and the server keeps serving.
@Suite("Bad input and limits", .serialized, .timeLimit(.minutes(3)))
struct BadInputTests {
    /// Small limits, so tests reach them; the authentication time-out is short only where a test waits for it
    /// (elsewhere a slow, loaded machine must not run into it).
    static func limits(authTimeout: Int = 60) -> [String] {
        [
            "--max-line", "4096", "--max-document", "2048", "--max-in-flight", "1", "--auth-timeout", String(authTimeout),
            "--max-connections-per-address", "40", "--max-failed-auth", "3",
        ]
    }

    /// Sends raw bytes tagged `tag` and returns the error code of the reply (nil for OK).
    static func code(_ connection: GlossConnection, _ bytes: [UInt8], tag: String) async -> String? {
        do {
            _ = try await connection.sendRaw(bytes, awaiting: tag)
            return nil
        } catch {
            return error.code
        }
    }

    static func code(_ connection: GlossConnection, _ text: String, tag: String) async -> String? {
        await code(connection, Array((text + "\n").utf8), tag: tag)
    }

    @Test("Line-level and request-level errors, before and after authentication")
    func requestErrors() async throws {
        try await ServerProcess.with(arguments: Self.limits()) { server in
            let connection = try await server.connect()
            #expect(await Self.code(connection, "t1 PING " + String(repeating: "x", count: 5000), tag: "t1") == "line-too-long")
            #expect(await Self.code(connection, Array("t2 PING \u{FF}".utf8) + [0xFF, 0x0A], tag: "t2") == "invalid-utf8")
            #expect(await Self.code(connection, #"t3 ADD doc=article quote="open"#, tag: "t3") == "malformed")
            #expect(await Self.code(connection, "t4 FLY", tag: "t4") == "unknown-verb")
            #expect(await Self.code(connection, "t5 LIST", tag: "t5") == "auth-required")
            #expect(await Self.code(connection, "t6 AUTH token=gloss_1_nonsense", tag: "t6") == "auth-failed")
            #expect(await Self.code(connection, "t7 HELLO version=9", tag: "t7") == "unsupported-version")
            #expect(await Self.code(connection, "t8 PING", tag: "t8") == nil, "the connection still works")

            let ana = try await server.connect(as: "ana")
            #expect(await Self.code(ana, "a1 ADD doc=article start=1 colour=red", tag: "a1") == "bad-argument")
            #expect(await Self.code(ana, "a2 ADD doc=article start=100 end=900", tag: "a2") == "span-out-of-range")
            #expect(await Self.code(ana, "a3 ADD doc=article quote=Tokyo", tag: "a3") == "quote-not-found")
            #expect(await Self.code(ana, "a4 ADD doc=article quote=\"cafe\u{301}\"", tag: "a4") == nil, "a decomposed é is found as such")
            #expect(await Self.code(ana, "a5 DOC-GET id=hidden", tag: "a5") == "not-found", "another project's document is invisible")
            #expect(await Self.code(ana, "a6 ADD doc=hidden start=0 end=3", tag: "a6") == "not-found")
            #expect(await Self.code(ana, "a7 ADD doc=article start=0 end=5 key=k1", tag: "a7") == nil)
            #expect(await Self.code(ana, "a8 ADD doc=article start=0 end=5 key=k1", tag: "a8") == nil, "the same request again is a replay")
            #expect(await Self.code(ana, "a9 ADD doc=article start=0 end=6 key=k1", tag: "a9") == "key-reused")
            let big = String(repeating: "x", count: 5000)
            #expect(await Self.code(ana, "b1 DOC-PUT project=news id=big title=Big text=\(big)", tag: "b1") == "line-too-long")
            #expect(await Self.code(ana, "b2 DOC-PUT project=news id=big title=Big text=\(String(big.prefix(2100)))", tag: "b2") == "document-too-large")
            #expect(await Self.code(ana, "b3 DOC-PUT project=news id=article title=Other text=different", tag: "b3") == "document-exists")
            #expect(await Self.code(ana, "b4 AUTH token=\(server.tokens["ben"]!)", tag: "b4") == "already-authenticated")

            let rita = try await server.connect(as: "rita")
            #expect(await Self.code(rita, "r1 ADD doc=article start=0 end=5", tag: "r1") == "forbidden", "a reader cannot write")
            #expect(await Self.code(rita, "r2 LIST doc=article", tag: "r2") == nil, "but can read")
            #expect(await Self.code(ana, "a10 PING", tag: "a10") == nil, "others are still served")
            for connection in [connection, ana, rita] { await connection.close() }
        }
    }

    @Test("Too many requests in flight on one connection are refused, not queued without bound")
    func inFlightLimit() async throws {
        try await ServerProcess.with(arguments: Self.limits()) { server in
            let ana = try await server.connect(as: "ana")
            let codes = await withTaskGroup(of: String?.self) { group in
                for index in 0..<20 {
                    group.addTask { await Self.code(ana, "p\(index) ADD doc=article start=0 end=5", tag: "p\(index)") }
                }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(codes.contains { $0 == "too-many-requests" })
            #expect(codes.contains { $0 == nil })
            #expect(codes.allSatisfy { $0 == nil || $0 == "too-many-requests" })
            await ana.close()
        }
    }

    @Test("A connection that does not authenticate in time is closed with auth-timeout")
    func authenticationTimeout() async throws {
        try await ServerProcess.with(arguments: Self.limits(authTimeout: 1)) { server in
            let idle = try await server.connect()
            #expect(await idle.waitForClose()?.code == "auth-timeout")
        }
    }

    @Test("An authenticated session that stays silent is closed with idle-timeout; one with a subscription is not")
    func idleTimeout() async throws {
        // 3 s, not 1: the watching session must subscribe within the time-out after it authenticates, which a loaded machine can miss.
        try await ServerProcess.with(arguments: ["--idle-timeout", "3", "--auth-timeout", "120"]) { server in
            let silent = try await server.connect(as: "ana")
            let watching = try await server.connect(as: "rita")
            _ = try await watching.send(.subscribe(.document(DocumentReference(try DocumentID("article")))))
            let start = ContinuousClock.now
            #expect(await silent.waitForClose()?.code == "idle-timeout")
            #expect(ContinuousClock.now - start < .seconds(60), "closed by the idle time-out (3 s), not the authentication one (120 s)")
            try await Task.sleep(for: .milliseconds(500))
            _ = try await watching.send(.ping)
            await watching.close()
        }
    }

    @Test("Failed-authentication throttling (a token that worked recently is not held back by its address) and the per-address connection limit")
    func sessionLimits() async throws {
        try await ServerProcess.with(arguments: Self.limits()) { server in
            let colleague = try await server.connect(as: "ben")
            await colleague.close()
            let guesser = try await server.connect()
            var codes: [String?] = []
            for attempt in 0..<5 { codes.append(await Self.code(guesser, "g\(attempt) AUTH token=wrong", tag: "g\(attempt)")) }
            #expect(codes == ["auth-failed", "auth-failed", "auth-failed", "auth-throttled", "auth-throttled"])
            #expect(await Self.code(guesser, "g9 AUTH token=\(server.tokens["ana"]!)", tag: "g9") == "auth-throttled", "a token not seen lately waits")
            let sameAddress = try await server.connect()
            #expect(await Self.code(sameAddress, "b1 AUTH token=\(server.tokens["ben"]!)", tag: "b1") == nil, "ben, who logged in lately from this address, is let in")
            await sameAddress.close()

            var held: [GlossConnection] = [guesser]
            while held.count < 40 { held.append(try await server.connect()) }
            await #expect(throws: ClientError.self) { _ = try await server.connect() }
            for connection in held { await connection.close() }
        }
    }

    @Test("A plaintext client is told to use TLS; TLS 1.0 and 1.1 clients are refused")
    func transport() async throws {
        try await ServerProcess.with { server in
            let plaintext = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let answer = try await plaintext.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "t1 PING\n"))
                var text = ""
                for try await chunk in inbound { text += String(buffer: chunk) }
                return text
            }
            #expect(answer.hasPrefix("* BYE tls-required"), "\(answer)")

            for version in [TLSVersion.tlsv1, .tlsv11] {
                var tls = TLSConfiguration.makeClientConfiguration()
                tls.minimumTLSVersion = version
                tls.maximumTLSVersion = version
                tls.certificateVerification = .none
                let context = try NIOSSLContext(configuration: tls)
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connect(host: "127.0.0.1", port: server.port) { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                            return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                        }
                    }
                await #expect(throws: NIOSSLError.self, "TLS \(version) is refused") {
                    try await channel.executeThenClose { inbound, _ in
                        for try await _ in inbound {}
                    }
                }
            }
            let modern = try await server.connect(as: "ana")
            #expect(modern.greeting.replica == "server-test")
            await modern.close()
        }
    }
}
