import GlossCore
import GlossReplication
import Testing

@Suite("Link admission: identity rules at the greeting")
struct LinkAdmissionTests {
    static let local = LocalSite(
        site: "tokyo", replica: try! ReplicaID("tokyo-1"), replicas: [try! ReplicaID("tokyo-1"), try! ReplicaID("tokyo-2")],
        vector: VersionVector([(try! ReplicaID("tokyo-1"), 40), (try! ReplicaID("paris-1"), 7)])
    )

    static func hello(site: String = "paris", replica: String = "paris-1", vector: VersionVector = VersionVector(), version: Int = 1) -> PeerHello {
        PeerHello(version: version, site: site, replica: try! ReplicaID(replica), incarnation: 3, vector: vector, catalogCursor: 0)
    }

    @Test("A well-formed greeting from another site is accepted")
    func accept() {
        let vector = VersionVector([(try! ReplicaID("tokyo-1"), 40), (try! ReplicaID("paris-1"), 99)])
        #expect(LinkAdmission.review(Self.hello(vector: vector), certificateSite: "paris", local: Self.local) == .accept)
    }

    @Test("Refusals name their reason", arguments: [
        (2, "paris", "paris", "paris-1", "peer-version"),
        (1, "paris", "rome", "paris-1", "peer-identity"),
        (1, "tokyo", "tokyo", "tokyo-9", "same-site"),
        (1, "paris", "paris", "tokyo-2", "identity-conflict"),
    ])
    func refusals(version: Int, site: String, certificate: String, replica: String, code: String) {
        let verdict = LinkAdmission.review(Self.hello(site: site, replica: replica, version: version), certificateSite: certificate, local: Self.local)
        guard case .refuse(let error) = verdict else {
            Issue.record("expected a refusal, got \(verdict)")
            return
        }
        #expect(error.code == code)
    }

    @Test("A peer that holds more of this site's own history than this site does starts a recovery up to what the peer holds")
    func behindOwnHistory() {
        let vector = VersionVector([(try! ReplicaID("tokyo-1"), 55)])
        let verdict = LinkAdmission.review(Self.hello(vector: vector), certificateSite: "paris", local: Self.local)
        guard case .recover(let counter, let warning) = verdict else {
            Issue.record("expected a recovery, got \(verdict)")
            return
        }
        #expect(counter == 55 && warning.code == "behind-own-history")
        #expect(warning.message.contains("55") && warning.message.contains("40"))
    }
}

@Suite("Lag between sites")
struct LagTests {
    @Test("Operations behind in each direction count every origin")
    func lag() throws {
        let (a, b, c) = (try ReplicaID("a"), try ReplicaID("b"), try ReplicaID("c"))
        let lag = Lag(local: VersionVector([(a, 10), (b, 3)]), peer: VersionVector([(a, 4), (b, 5), (c, 2)]))
        #expect(lag.peerLacks == 6 && lag.localLacks == 4)
        #expect(Lag(local: VersionVector(), peer: VersionVector()) == Lag(local: VersionVector([(a, 1)]), peer: VersionVector([(a, 1)])))
    }
}

@Suite("Link admission: copies of a site")
struct CopiedSiteTests {
    @Test("A replica id first seen from one site is refused from another")
    func replicaOwnedByAnotherSite() throws {
        var local = LinkAdmissionTests.local
        local.peerReplicas = [try ReplicaID("paris-1"): "paris"]
        let hello = LinkAdmissionTests.hello(site: "lyon", replica: "paris-1")
        guard case .refuse(let error) = LinkAdmission.review(hello, certificateSite: "lyon", local: local) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.code == "identity-conflict" && error.message.contains("paris"))
        #expect(LinkAdmission.review(LinkAdmissionTests.hello(), certificateSite: "paris", local: local) == .accept)
    }

    @Test("One replica of one site greeting from two incarnations at once is two live copies; another replica of the site is not")
    func twoIncarnations() throws {
        let running = [LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4)]
        #expect(LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 5))?.code == "duplicate-site")
        #expect(LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("paris-2"), incarnation: 7)) == nil)
        #expect(LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4)) == nil)
        // One process dialing one peer through two addresses keeps the first link only; a peer dialing in beside it is fine.
        let dialed = [LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4, dialedAddress: "localhost:7433")]
        let again = LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4, dialedAddress: "127.0.0.1:7433")
        #expect(LiveLink.conflict(between: dialed, and: again)?.code == "already-linked")
        #expect(LiveLink.conflict(between: dialed, and: again)?.message.contains("localhost:7433") == true)
        #expect(LiveLink.conflict(between: dialed, and: LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4)) == nil)
        #expect(LiveLink.conflict(between: running, and: again) == nil)
    }

    @Test("One site greeting from two databases at once is refused; processes of one database are not; a catalog cursor counts one database only")
    func twoDatabases() throws {
        let (first, second) = ("9b2f7c1e-0000-4000-8000-000000000001", "9b2f7c1e-0000-4000-8000-000000000002")
        let running = [LiveLink(site: "paris", replica: try ReplicaID("paris-1"), incarnation: 4, database: first)]
        let other = LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("d-1"), incarnation: 1, database: second))
        #expect(other?.code == "duplicate-site" && other?.message.contains("two databases present one site's certificate") == true)
        #expect(LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("paris-2"), incarnation: 7, database: first)) == nil)
        #expect(LiveLink.conflict(between: running, and: LiveLink(site: "paris", replica: try ReplicaID("paris-2"), incarnation: 7)) == nil, "an older build sends no token")
        let hello = PeerHello(site: "b", replica: try ReplicaID("b-1"), incarnation: 1, vector: VersionVector(), catalogCursor: 8, catalogDatabase: first)
        #expect(hello.catalogCursor(forDatabase: first) == 8)
        #expect(hello.catalogCursor(forDatabase: second) == 0, "another database is offered its whole catalog")
        #expect(PeerHello(site: "b", replica: try ReplicaID("b-1"), incarnation: 1, vector: VersionVector(), catalogCursor: 8).catalogCursor(forDatabase: first) == 0)
    }
}
