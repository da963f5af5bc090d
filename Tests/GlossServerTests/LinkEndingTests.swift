import Foundation
import NIOCore
import NIOSSL
@testable import GlossServer
import GlossTestSupport
import Testing

/// How links end, as operators read it: each side's recorded last error and its
/// log say what happened in words, with stable codes, never a library's names.
@Suite("How links end", .serialized, .timeLimit(.minutes(5)))
struct LinkEndingTests {
    /// Names that mean an error reached the operator unexplained.
    static let rawNames = ["CancellationError", "uncleanShutdown", "NIOSSL", "BoringSSL", "IOError("]

    /// The last error `database` recorded for its link with `site`.
    static func lastError(in database: TestDatabase, of site: String) async throws -> String {
        for code in ["shutting-down", "peer-closed", "peer-removed"] {
            let matches = try await database.count("SELECT count(*) FROM peer_sites WHERE site = '\(site)' AND last_error LIKE '\(code):%'")
            if matches == 1 { return code }
        }
        return "other"
    }

    /// Waits up to `limit` until `database` records the link with `site` ended with `code`.
    static func waitForLastError(_ code: String, in database: TestDatabase, of site: String, within limit: Duration = .seconds(15)) async throws -> String {
        let deadline = ContinuousClock.now + limit
        var last = ""
        repeat {
            last = try await lastError(in: database, of: site)
            if last == code { return last }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < deadline
        return last
    }

    @Test("A site shutting down says GOODBYE shutting-down on every link, both sides record it; a killed peer is peer-closed in words")
    func shutdownAndCrash() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a])
            try await ReplicationTests.stopping([a, b]) {
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                // b dialed a: b stopping ends a dialed link, a stopping an accepted one.
                #expect(await b.stop() == 0)
                #expect(try await Self.waitForLastError("shutting-down", in: databases[0], of: "b") == "shutting-down", "\(a.log.suffix(2_000))")
                #expect(try await Self.lastError(in: databases[1], of: "a") == "shutting-down", "\(b.log.suffix(2_000))")
                try await b.relaunch()
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                #expect(await a.stop() == 0)
                #expect(try await Self.waitForLastError("shutting-down", in: databases[1], of: "a") == "shutting-down", "\(b.log.suffix(2_000))")
                #expect(try await Self.lastError(in: databases[0], of: "b") == "shutting-down", "\(a.log.suffix(2_000))")
                try await a.relaunch()
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                await a.kill()
                #expect(try await Self.waitForLastError("peer-closed", in: databases[1], of: "a") == "peer-closed", "\(b.log.suffix(2_000))")
                for site in [a, b] {
                    for name in Self.rawNames { #expect(!site.log.contains(name), "\(name) in \(site.log.suffix(3_000))") }
                }
            }
        }
    }

    @Test("A peer removed with glossd peer remove is closed as peer-removed, and not redialed")
    func removedPeer() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1])
            try await ReplicationTests.stopping([a, b]) {
                let address = "127.0.0.1:\(a.port)"
                let added = try await Binaries.run("glossd", ["peer", "add", address, "--database-url", databases[1].url])
                #expect(added.status == 0, "\(added)")
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                let removed = try await Binaries.run("glossd", ["peer", "remove", address, "--database-url", databases[1].url])
                #expect(removed.status == 0, "\(removed)")
                #expect(try await Self.waitForLastError("peer-removed", in: databases[0], of: "b") == "peer-removed", "\(a.log.suffix(2_000))")
                #expect(try await Self.lastError(in: databases[1], of: "a") == "peer-removed", "\(b.log.suffix(2_000))")
                try await Task.sleep(for: .seconds(2))
                #expect(b.log.contains("code=peer-removed"), "\(b.log.suffix(2_000))")
                #expect(!b.log.contains("redialing"), "\(b.log.suffix(2_000))")
            }
        }
    }

    @Test("A site listing its own address is refused as same-site once, and waits long before dialing it again")
    func sameSiteNotRedialed() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(1) { databases in
            let a = try await cluster.start("a", on: databases[0])
            try await ReplicationTests.stopping([a]) {
                let added = try await Binaries.run("glossd", ["peer", "add", "127.0.0.1:\(a.port)", "--database-url", databases[0].url])
                #expect(added.status == 0, "\(added)")
                let deadline = ContinuousClock.now + .seconds(15)
                while ContinuousClock.now < deadline, !a.log.contains("redialing cannot fix") { try await Task.sleep(for: .milliseconds(200)) }
                // With back-off alone it would have dialed about ten times in these four seconds.
                try await Task.sleep(for: .seconds(4))
                let refusals = a.log.components(separatedBy: "redialing cannot fix").count - 1
                #expect(refusals == 1, "\(a.log.suffix(3_000))")
                #expect(a.log.contains("same-site"), "\(a.log.suffix(3_000))")
                #expect(!a.log.contains("peer link down; redialing"), "\(a.log.suffix(3_000))")
            }
        }
    }
}

extension LinkEndingTests {
    /// A loopback port that accepts connections (the kernel completes them) and never says a word.
    static func silentListener() throws -> (socket: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard fd >= 0, bound == 0, listen(fd, 16) == 0 else { throw ServerTestError("cannot listen on loopback") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test("Last contact is when the peer was last heard: it stands still while the peer is frozen, and moves again once it is back")
    func lastContactIsLastHeard() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a])
            try await ReplicationTests.stopping([a, b]) {
                _ = try await ReplicationTests.settledPeers(at: b, count: 1)
                let contact = "SELECT (extract(epoch FROM last_contact_at) * 1000)::bigint FROM peer_sites WHERE site = 'b'"
                kill(b.pid, SIGSTOP)
                try await Task.sleep(for: .seconds(6))
                let frozen = try await databases[0].count(contact)
                try await Task.sleep(for: .seconds(4))
                #expect(try await databases[0].count(contact) == frozen, "nothing was heard from the frozen peer")
                kill(b.pid, SIGCONT)
                try await Task.sleep(for: .seconds(8))
                #expect(try await databases[0].count(contact) > frozen, "heard again")
            }
        }
    }

    @Test("glossd peers shows a configured address that never linked with its dial error, and a down peer's last error follows its redials")
    func failingAddressesShown() async throws {
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a], arguments: ["--peer", "127.0.0.1:1"])
            try await ReplicationTests.stopping([a, b]) {
                let (cli, _) = try await ReplicationTests.settledPeers(at: b, count: 1)
                let peers = { try await Binaries.run("glossd", ["peers", "--database-url", databases[1].url]).output }
                var shown = try await peers()
                #expect(shown.contains("127.0.0.1:1  never linked") && shown.contains("cannot reach 127.0.0.1:1: connection refused"), "\(shown)")
                let status = try await cli.ok(["status", "--profile", "rita"])
                #expect(status.contains("127.0.0.1:1  never linked") && status.contains("cannot reach 127.0.0.1:1: connection refused"), "\(status)")
                #expect(await a.stop() == 0)
                // The goodbye is recorded first, then the redials' failures replace it.
                let deadline = ContinuousClock.now + .seconds(20)
                repeat {
                    shown = try await peers()
                    if shown.contains("last error: peer-unreachable: cannot connect: cannot reach 127.0.0.1:\(a.port): connection refused") { break }
                    try await Task.sleep(for: .milliseconds(300))
                } while ContinuousClock.now < deadline
                #expect(shown.contains("last error: peer-unreachable: cannot connect: cannot reach 127.0.0.1:\(a.port): connection refused"), "\(shown)")
            }
        }
    }

    @Test("A peer that accepts and never completes TLS is given up on after 10 s, by the dialer (and redialed) and by check --against")
    func silentPeer() async throws {
        let (fd, port) = try Self.silentListener()
        defer { close(fd) }
        let cluster = try SiteCluster()
        try await ReplicationTests.withDatabases(1) { databases in
            let a = try await cluster.start("a", on: databases[0], arguments: ["--peer", "127.0.0.1:\(port)"])
            try await ReplicationTests.stopping([a]) {
                let started = ContinuousClock.now
                let checked = try await ReplicationTests.check(a, againstAddress: "127.0.0.1:\(port)")
                #expect(checked.status == 69 && checked.error.contains("did not complete TLS and greet within 10 s"), "\(checked)")
                #expect(ContinuousClock.now - started < .seconds(30))
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline, !a.log.contains("did not complete TLS and answer PEER within 10 s") { try await Task.sleep(for: .milliseconds(200)) }
                #expect(a.log.contains("peer link down; redialing") && a.log.contains("did not complete TLS and answer PEER within 10 s"), "\(a.log.suffix(2_000))")
            }
        }
    }
}

/// Connection failures in words, without a socket.
@Suite("Connection failures in words")
struct ConnectionFailureTests {
    @Test("TLS endings and refusals are explained; none shows a library's type names")
    func explained() {
        let unclean = ConnectionFailure.describe(NIOSSLError.uncleanShutdown, peer: "paris:7433")
        #expect(unclean == "paris:7433 closed the connection without ending TLS (it stopped, crashed or lost its network)")
        let closed = ConnectionFailure.describe(ChannelError.ioOnClosedChannel)
        #expect(closed == "the connection to the peer is closed")
        let unknown = ConnectionFailure.describe(NIOSSLError.handshakeFailed(.sslError([])), peer: "paris:7433")
        #expect(unknown == "TLS handshake with paris:7433 failed")
        let refused = ConnectionFailure.describe(IOError(errnoCode: ECONNREFUSED, reason: "connect"), peer: "paris:7433")
        #expect(refused == "paris:7433: connection refused")
        for text in [unclean, closed, unknown, refused] { #expect(!text.contains("NIO") && !text.contains("SSL")) }
    }
}
