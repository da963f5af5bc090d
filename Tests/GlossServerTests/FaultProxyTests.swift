import GlossClient
import GlossProtocol
import GlossTestSupport
import Testing

@Suite("The tests' fault-injecting proxy", .timeLimit(.minutes(2)))
struct FaultProxyTests {
    @Test("It forwards a TLS session both ways, refuses while the link is cut, and forwards again once healed")
    func forwardsAndCuts() async throws {
        try await ServerProcess.with { server in
            let proxy = try await FaultProxy(to: server.port, seed: 1)
            let trust = ServerTrust.certificateAuthority(path: server.caFile)
            let through = try await GlossConnection.connect(host: "127.0.0.1", port: proxy.port, trust: trust)
            _ = try await through.send(.auth(token: server.tokens["ana"]!))
            _ = try await through.send(.ping)
            proxy.cutLink()
            await #expect(throws: ClientError.self) { try await through.send(.ping) }
            await #expect(throws: ClientError.self) { try await GlossConnection.connect(host: "127.0.0.1", port: proxy.port, trust: trust) }
            proxy.heal()
            let again = try await GlossConnection.connect(host: "127.0.0.1", port: proxy.port, trust: trust)
            _ = try await again.send(.ping)
            await again.close()
            await proxy.close()
        }
    }
}
