import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossStore
import GlossTestSupport
import Testing

/// Real glossd sites, each on its own database, linked over mutual TLS.
@Suite("Replication between sites", .serialized, .timeLimit(.minutes(5)))
struct ReplicationTests {
    /// Runs `body` with `count` fresh databases.
    static func withDatabases<Result: Sendable>(_ count: Int, _ body: ([TestDatabase]) async throws -> Result) async throws -> Result {
        var databases: [TestDatabase] = []
        for _ in 0..<count { databases.append(try await TestDatabase.create()) }
        do {
            let result = try await body(databases)
            for database in databases { await database.drop() }
            return result
        } catch {
            for database in databases { await database.drop() }
            throw error
        }
    }

    /// Stops every site, whatever happens in `body`.
    static func stopping<Result: Sendable>(_ sites: [ServerProcess], _ body: () async throws -> Result) async throws -> Result {
        do {
            let result = try await body()
            for site in sites { _ = await site.stop() }
            return result
        } catch {
            for site in sites { _ = await site.stop() }
            throw error
        }
    }

    static let article = DocumentReference(try! DocumentID("article"))

    /// Adds an annotation quoting `quote` on `site` as `user`; returns its id.
    static func add(_ site: ServerProcess, as user: String, quote: String, label: String) async throws -> AnnotationID {
        let connection = try await site.connect(as: user)
        defer { Task { await connection.close() } }
        let reply = try await connection.send(.add(NewAnnotation(document: article, target: .quote(quote, occurrence: nil), label: label))).reply
        return try AnnotationID(try #require(reply["id"]))
    }

    /// Waits until `site` shows annotation `id`.
    static func waitUntilPresent(_ id: AnnotationID, on site: ServerProcess, within limit: Duration = .seconds(30)) async throws {
        let connection = try await site.connect(as: "rita")
        defer { Task { await connection.close() } }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if (try? await connection.send(.get(id))) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ServerTestError("annotation \(id) did not reach \(site.replica) within \(limit)")
    }

    /// Logs rita in to `site` with the CLI and asks `gloss status` until it lists `count` peers,
    /// all up with nothing to send or receive (or 15 s pass); returns the CLI and the last peer rows.
    static func settledPeers(at site: ServerProcess, count: Int) async throws -> (CLITests.CLI, [[String: Any]]) {
        let cli = CLITests.cli()
        _ = try await cli.ok(["login", "--profile", "rita", "--server", "127.0.0.1:\(site.port)", "--ca-file", site.caFile, "--token", site.tokens["rita"]!])
        var peers: [[String: Any]] = []
        let deadline = ContinuousClock.now + .seconds(15)
        repeat {
            peers = try await cli.json(["status", "--profile", "rita"]).filter { $0["peer"] != nil }
            if peers.count == count, peers.allSatisfy({ $0["state"] as? String == "up" && $0["toSend"] as? Int == 0 && $0["toReceive"] as? Int == 0 }) {
                break
            }
            try await Task.sleep(for: .milliseconds(500))
        } while ContinuousClock.now < deadline
        return (cli, peers)
    }

    @Test("Three sites in a chain (no A–C link) converge through B: concurrent edits, a delete against an edit, tag races")
    func chainConverges() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(3) { databases in
            let c = try await cluster.start("c", on: databases[2])
            let b = try await cluster.start("b", on: databases[1], peers: [c])
            let a = try await cluster.start("a", on: databases[0], peers: [b])
            try await Self.stopping([a, b, c]) {
                let shared = try await Self.add(a, as: "ana", quote: "Kishida’s", label: "PERSON")
                let doomed = try await Self.add(c, as: "ana", quote: "Washington", label: "PERSON")
                try await Self.waitUntilPresent(shared, on: c)
                try await Self.waitUntilPresent(doomed, on: a)

                // Without waiting for each other: two labels for one annotation at the two ends of
                // the chain, a deletion at one end against an edit at the other, and tag races.
                let atA = try await a.connect(as: "ana")
                let atC = try await c.connect(as: "ben")
                async let labelA = atA.send(.set(shared, [.label("POLITICIAN")]))
                async let labelC = atC.send(.set(shared, [.label("PRIME-MINISTER")]))
                async let deleteA = atA.send(.delete(doomed))
                async let noteC = atC.send(.set(doomed, [.note("keep this")]))
                async let tagA = atA.send(.tag(shared, ["japan"]))
                async let untagC = atC.send(.untag(shared, ["japan"]))
                _ = try await (labelA, labelC, deleteA, noteC, tagA, untagC)
                await atA.close()
                await atC.close()

                try await SiteCluster.waitForConvergence([a, b, c])
                for site in [a, b, c] {
                    let connection = try await site.connect(as: "rita")
                    let record = try AnnotationRecord(line: try #require(try await connection.send(.get(shared)).lines("ANNOTATION").first))
                    #expect(record.conflicts == [.label], "\(site.replica) shows the label conflict")
                    let kept = try AnnotationRecord(line: try #require(try await connection.send(.get(doomed)).lines("ANNOTATION").first))
                    #expect(kept.note == "keep this", "\(site.replica): the concurrent edit wins over the deletion")
                    await connection.close()
                }

                // gloss status at the middle site shows both links up and nothing behind either way.
                let (cli, peers) = try await Self.settledPeers(at: b, count: 2)
                #expect(peers.map { $0["peer"] as? String } == ["a", "c"], "\(peers)")
                #expect(peers.allSatisfy { $0["state"] as? String == "up" && $0["toSend"] as? Int == 0 && $0["toReceive"] as? Int == 0 }, "\(peers)")
                let text = try await cli.ok(["status", "--profile", "rita"])
                #expect(text.contains("site b, replica b-1") && text.contains("  a  up") && text.contains("  c  up"), "\(text)")
                let checked = try await Self.check(a, against: c)
                #expect(checked.status == 0 && checked.output.contains("1 document: the same annotations here and at"), "\(checked)")
            }
        }
    }

    /// The next event pushed on `connection`.
    static func firstEvent(of connection: GlossConnection, within limit: Duration) async throws -> EventRecord {
        try await withThrowingTaskGroup(of: EventRecord?.self) { group in
            group.addTask {
                for await event in connection.events { return event }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let event = try await group.next() ?? nil else { throw ServerTestError("no event within \(limit)") }
            return event
        }
    }

    /// `glossd check` of `site`'s database against a live peer, with `site`'s certificate.
    static func check(_ site: ServerProcess, against peer: ServerProcess) async throws -> (status: Int32, output: String, error: String) {
        try await check(site, againstAddress: "127.0.0.1:\(peer.port)")
    }

    /// `glossd check` of `site`'s database against `address`, with `site`'s certificate.
    static func check(_ site: ServerProcess, againstAddress address: String) async throws -> (status: Int32, output: String, error: String) {
        let file = { (name: String) in site.folder.appendingPathComponent(name).path }
        return try await Binaries.run("glossd", [
            "check", "--database-url", site.database.url, "--against", address, "--certificate", file("server.pem"),
            "--key", file("server-key.pem"), "--cluster-ca", file("ca.pem"),
        ])
    }

    @Test("A document clash: the running site whose text lost serves the winning text at once, and quotes find it there")
    func clashServedAtOnce() async throws {
        let cluster = try SiteCluster()
        let texts = ["Alpha Beta Gamma in Paris.", "Beta Gamma Alpha in Rome."].sorted { DocumentText($0).sha256 < DocumentText($1).sha256 }
        let (winner, loser) = (texts[0], texts[1])
        let clash = try DocumentID("clash")
        try await Self.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let first = try await cluster.start("b", on: databases[1])
            let tokens = first.tokens
            do {
                let connection = try await first.connect(as: "ana")
                _ = try await connection.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: clash, title: "B", text: winner)))
                await connection.close()
            }
            _ = await first.stop()
            try await Self.stopping([a]) {
                // Site a stores the losing text and reads it (it is cached there) before the sites link.
                let ana = try await a.connect(as: "ana")
                defer { Task { await ana.close() } }
                _ = try await ana.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: clash, title: "A", text: loser)))
                _ = try await ana.send(.add(NewAnnotation(document: DocumentReference(clash), target: .quote("Rome", occurrence: nil), label: "PLACE")))
                let b = try await cluster.start("b", on: databases[1], peers: [a], existingTokens: tokens)
                try await Self.stopping([b]) {
                    let deadline = ContinuousClock.now + .seconds(30)
                    var shown: String?
                    while ContinuousClock.now < deadline {
                        shown = try await ana.send(.getDocument(DocumentReference(clash))).lines.first?["text"]
                        if shown == winner { break }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    #expect(shown == winner, "site a still serves the text that lost the clash")
                    let placed = try await ana.send(.add(NewAnnotation(document: DocumentReference(clash), target: .quote("Paris", occurrence: nil), label: "PLACE"))).reply
                    #expect(placed["start"] == String(winner.unicodeScalars.count - "Paris.".unicodeScalars.count))
                }
            }
        }
    }

    @Test("A site that only receives shows nothing to send once it holds what its peer sent (its vector counts what the peer sent)")
    func receiveOnlyLag() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a])
            try await Self.stopping([a, b]) {
                var last: AnnotationID?
                for quote in ["Japan", "United States", "security"] { last = try await Self.add(a, as: "ana", quote: quote, label: "X") }
                try await Self.waitUntilPresent(try #require(last), on: b)
                let (_, peers) = try await Self.settledPeers(at: b, count: 1)
                #expect(peers.count == 1 && peers[0]["toSend"] as? Int == 0 && peers[0]["toReceive"] as? Int == 0, "\(peers)")
            }
        }
    }

    @Test("Two addresses of one peer give one link: the second is refused with already-linked, and replication goes on over the first")
    func onePeerTwoAddresses() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a], arguments: ["--peer", "localhost:\(a.port)"])
            try await Self.stopping([a, b]) {
                let deadline = ContinuousClock.now + .seconds(20)
                while ContinuousClock.now < deadline, !b.log.contains("already-linked") { try await Task.sleep(for: .milliseconds(200)) }
                #expect(b.log.contains("already-linked"), "\(b.log.suffix(2_000))")
                let id = try await Self.add(a, as: "ana", quote: "Japan", label: "PLACE")
                try await Self.waitUntilPresent(id, on: b)
            }
        }
    }

    @Test("A site whose peers are all away says so when its identity wait ends, not at the next write")
    func identityWaitWarnsOnTime() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(1) { databases in
            let a = try await cluster.start("a", on: databases[0], arguments: ["--peer", "127.0.0.1:1", "--identity-wait", "1"])
            try await Self.stopping([a]) {
                // A site that has linked before (a peer is recorded) waits for one at start.
                _ = await a.stop()
                #expect(try await databases[0].count("WITH i AS (INSERT INTO peer_sites (site, state) VALUES ('z', 'down') RETURNING 1) SELECT count(*) FROM i") == 1)
                try await a.relaunch()
                let deadline = ContinuousClock.now + .seconds(10)
                while ContinuousClock.now < deadline, !a.log.contains("no peer confirmed") { try await Task.sleep(for: .milliseconds(100)) }
                #expect(a.log.contains("no peer confirmed this site's history in time"), "\(a.log.suffix(2_000))")
            }
        }
    }

    @Test("glossd check --against compares per-document digests with a live peer and lists the differences")
    func checkAgainstPeer() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(3) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1])
            let foreign = try await SiteCluster().start("x", on: databases[2])
            try await Self.stopping([a, b, foreign]) {
                let itself = try await Self.check(a, against: a)
                #expect(itself.status == 69 && itself.error.contains("same-site: 127.0.0.1:\(a.port) is site a, this site itself"), "\(itself)")
                let stranger = try await Self.check(a, against: foreign)
                #expect(stranger.status == 69 && stranger.error.contains("not signed by this site's cluster CA"), "\(stranger)")
                #expect(!stranger.error.contains("SSL"), "\(stranger)")
                let same = try await Self.check(a, against: b)
                #expect(same.status == 0 && same.output.contains("0 documents: the same annotations here and at"), "\(same)")
                _ = try await Self.add(a, as: "ana", quote: "Kishida’s", label: "PERSON")
                let differ = try await Self.check(a, against: b)
                #expect(differ.status == 1 && differ.output.contains("news/article: only here"), "\(differ)")
                let reverse = try await Self.check(b, against: a)
                #expect(reverse.status == 1 && reverse.output.contains("news/article: only at 127.0.0.1:\(a.port)"), "\(reverse)")
            }
        }
    }

    @Test("Two glossd processes on one database: a subscriber on one sees writes made on the other; killing the one that runs a link moves it to the other")
    func twoProcessesOneDatabase() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(2) { databases in
            let b = try await cluster.start("b", on: databases[1])
            let first = try await cluster.start("a", on: databases[0], peers: [b])
            let deadline = ContinuousClock.now + .seconds(20)
            while try await databases[1].count("SELECT count(*) FROM peer_sites WHERE site = 'a' AND state = 'up'") == 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let second = try await first.sibling(replica: "a-2", arguments: ["--cluster-ca", first.caFile, "--peer", "127.0.0.1:\(b.port)"])
            try await Self.stopping([first, second, b]) {
                // Live events cross processes: a subscriber on the second sees a write made on the first.
                let watcher = try await second.connect(as: "rita")
                _ = try await watcher.send(.subscribe(.document(Self.article)))
                let written = try await Self.add(first, as: "ana", quote: "Kishida’s", label: "PERSON")
                let event = try await Self.firstEvent(of: watcher, within: .seconds(10))
                #expect(event.annotation.id == written && event.change == "create", "\(event)")
                await watcher.close()

                // The first runs the link to b (one lock held, by one process); once it dies, the second takes it over.
                let lockHolders = "SELECT count(DISTINCT pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = '\(databases[0].configuration.database)') AND objid <> 0"
                #expect(try await databases[0].count(lockHolders) == 1)
                await first.kill()
                let fromB = try await Self.add(b, as: "ben", quote: "Washington", label: "PLACE")
                try await Self.waitUntilPresent(fromB, on: second)
                try await SiteCluster.waitForConvergence([second, b])
                #expect(try await databases[0].count(lockHolders) == 1)
            }
        }
    }

    @Test("A triangle of sites: analysts on every site, through the real CLI, edit one annotation concurrently, delete against edit, race a tag; every site ends with the same annotations and conflicts")
    func triangleThroughTheCLI() async throws {
        let cluster = try SiteCluster()
        try await Self.withDatabases(3) { databases in
            let c = try await cluster.start("c", on: databases[2])
            let b = try await cluster.start("b", on: databases[1], peers: [c])
            let a = try await cluster.start("a", on: databases[0], peers: [b, c])
            try await Self.stopping([a, b, c]) {
                let sites = [a, b, c]
                let clis = sites.map { _ in CLITests.cli() }
                for (site, cli) in zip(sites, clis) {
                    _ = try await cli.ok(["login", "--server", "127.0.0.1:\(site.port)", "--ca-file", site.caFile, "--token", site.tokens["ana"]!])
                }
                let added = try await clis[0].json(["add", "article", "--quote", "Kishida’s", "--label", "PERSON", "--tag", "japan"])
                let id = try #require(added.first?["id"] as? String)
                let doomed = try #require(try await clis[2].json(["add", "article", "--quote", "Washington", "--label", "PLACE"]).first?["id"] as? String)
                for site in sites {
                    try await Self.waitUntilPresent(try AnnotationID(id), on: site)
                    try await Self.waitUntilPresent(try AnnotationID(doomed), on: site)
                }
                for cli in clis { _ = try await cli.ok(["show", id]) }
                _ = try await clis[1].ok(["show", doomed])

                async let labelA = clis[0].run(["edit", id, "--label", "POLITICIAN"])
                async let labelB = clis[1].run(["edit", id, "--label", "PRIME-MINISTER"])
                async let untagC = clis[2].run(["untag", id, "japan"])
                async let tagA = clis[0].run(["tag", id, "leader"])
                async let deleteC = clis[2].run(["rm", doomed])
                async let noteB = clis[1].run(["edit", doomed, "--note", "keep it"])
                for result in try await [labelA, labelB, untagC, tagA, deleteC, noteB] { #expect(result.status == 0, "\(result.error)") }

                try await SiteCluster.waitForConvergence(sites)
                var shown: [[String: Any]] = []
                for cli in clis {
                    let annotation = try #require(try await cli.json(["show", id]).first)
                    #expect(annotation["conflictedFields"] as? [String] == ["label"], "\(annotation)")
                    #expect(Set(annotation["tags"] as? [String] ?? []) == ["leader"], "the untag removed the tag it had seen; the new tag stays")
                    let kept = try #require(try await cli.json(["show", doomed]).first)
                    #expect(kept["note"] as? String == "keep it" && kept["deleted"] as? String == "delete-conflict", "\(kept)")
                    shown.append(annotation)
                }
                #expect(Set(shown.map { $0["label"] as? String ?? "" }).count == 1, "every site shows the same winner")
            }
        }
    }

    @Test("Refused: a link without a client certificate, with a token, or with another cluster's certificate")
    func refusals() async throws {
        let cluster = try SiteCluster()
        let stranger = try SiteCluster()
        try await Self.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            try await Self.stopping([a]) {
                for user in [nil, "ana"] {
                    let connection = user == nil ? try await a.connect() : try await a.connect(as: user!)
                    await #expect(throws: ClientError.self, "\(user ?? "no token")") { try await connection.send(.peer(version: 1)) }
                    do {
                        _ = try await connection.send(.peer(version: 1))
                    } catch {
                        #expect((error as? ClientError)?.code == "peer-refused", "\(error)")
                    }
                    await connection.close()
                    // DIGESTS is refused the same way, in its own name.
                    let asking = user == nil ? try await a.connect() : try await a.connect(as: user!)
                    do {
                        _ = try await asking.send(.digests)
                        Issue.record("DIGESTS was answered without a site certificate")
                    } catch {
                        #expect((error as? ClientError)?.code == "peer-refused" && "\(error)".contains("DIGESTS"), "\(error)")
                    }
                    await asking.close()
                }

                // A site whose certificate another CA signed dials a: the link never comes up, and a says so.
                let outsider = try await stranger.start("x", on: databases[1], peers: [a])
                try await Task.sleep(for: .seconds(2))
                _ = await outsider.stop()
                #expect(outsider.log.contains("peer link down"), "\(outsider.log)")
                #expect(try await databases[0].count("SELECT count(*) FROM peer_sites") == 0, "a never linked with x")
                #expect(try await databases[1].count("SELECT count(*) FROM peer_sites") == 0, "x never linked with a")
            }
        }
    }
}
