import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import PostgresNIO
import Testing

/// The real `glossd` binary against a real database.
@Suite("glossd commands", .timeLimit(.minutes(2)))
struct GlossdCommandTests {
    /// Runs glossd and returns its exit status and everything it printed.
    static func run(_ arguments: [String], limitSeconds: Double = Binaries.defaultLimitSeconds) async throws -> (status: Int32, output: String) {
        let result = try await Binaries.run("glossd", arguments, limitSeconds: limitSeconds)
        return (result.status, result.output + result.error)
    }

    @Test("migrate, migrate again, check; a corrupted row makes check exit 1; an unreachable database exits 69")
    func migrateAndCheck() async throws {
        try await withTestDatabase { database in
            let common = ["--database-url", database.url, "--replica-id", "cli-test"]
            let first = try await Self.run(["migrate"] + common)
            #expect(first.status == 0 && first.output.contains("applied migrations 1, 2, 3, 4, 5"), "\(first.output)")
            let again = try await Self.run(["migrate"] + common)
            #expect(again.status == 0 && again.output.contains("up to date"), "\(again.output)")

            let (operations, _) = WriteTests.simulatedOperations(seed: 3, steps: 200)
            _ = try await database.withStore(migrate: false) { store in try await store.apply(operations) }
            let clean = try await Self.run(["check"] + common)
            #expect(clean.status == 0 && clean.output.contains("consistent"), "\(clean.output)")

            try await TestDatabase.adminQuery(
                database.configuration,
                "UPDATE annotations SET state = (SELECT state FROM annotations ORDER BY id LIMIT 1) WHERE id = (SELECT id FROM annotations ORDER BY id DESC LIMIT 1)"
            )
            let corrupted = try await Self.run(["check"] + common)
            #expect(corrupted.status == 1 && corrupted.output.contains("mismatch"), "\(corrupted.output)")

            let unreachable = try await Self.run(["check", "--database-url", "postgres://gloss@127.0.0.1:1/gloss", "--replica-id", "x"])
            #expect(unreachable.status == 69 && unreachable.output.contains("unavailable"), "\(unreachable.output)")

            // A bad --against is refused before the rebuild, as a usage error.
            let noPort = try await Self.run(["check", "--against", "127.0.0.1"] + common)
            #expect(noPort.status == 64 && noPort.output.contains("is not host:port"), "\(noPort.output)")
            let noCertificate = try await Self.run(["check", "--against", "127.0.0.1:1"] + common)
            #expect(noCertificate.status == 64 && noCertificate.output.contains("--certificate"), "\(noCertificate.output)")
            let missing = try await Self.run(
                ["check", "--against", "127.0.0.1:1", "--certificate", "/nonexistent/c.pem", "--key", "/nonexistent/k.pem", "--cluster-ca", "/nonexistent/ca.pem"] + common
            )
            #expect(missing.status == 64 && missing.output.contains("cannot read the cluster CA") && !missing.output.contains("annotations rebuilt"), "\(missing.output)")

            let badURL = try await Self.run(["check", "--database-url", "mysql://nope", "--replica-id", "x"])
            #expect(badURL.status != 0 && badURL.output.contains("postgres://"), "\(badURL.output)")
        }
    }

    @Test("peer add takes host:port only, stores it once however it is typed, and never echoes control characters")
    func peerAddresses() async throws {
        try await withTestDatabase { database in
            let common = ["--database-url", database.url]
            #expect(try await Self.run(["migrate", "--replica-id", "cli-test"] + common).status == 0)
            for junk in ["foo\u{1b}[31m:17501", "fo\no:17501", "\u{202e}evil:1", "[::1:17501", "::1:17501", "foo:17501,bar:17502", "foo:017502",
                         "foo:+1", "foo:0", "foo:65536", "foo", ":80", ".foo:80", "foo bar:80", String(repeating: "h", count: 5_000) + ":80", "[zz::1]:80",
                         "a..b:80", "a.:80", "-a.b:80", "a-.b:80", String(repeating: "l", count: 64) + ".org:80"]
            {
                let refused = try await Self.run(["peer", "add"] + common + ["--", junk])
                #expect(refused.status != 0 && refused.output.contains("is not host:port"), "\(Excerpt.of(junk)): \(refused.output)")
                #expect(!refused.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x202E }, "\(refused.output)")
                #expect(!refused.output.contains("23514"))
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-peer-\(UUID().uuidString)").path
            defer { try? FileManager.default.removeItem(atPath: folder) }
            #expect(try await Self.run(["cert", "ca", "--folder", folder]).status == 0)
            #expect(try await Self.run(["cert", "issue", "--site", "s", "--ca-folder", folder, "--out", folder]).status == 0)
            let flag = try await Self.run(
                ["serve", "--peer", "x:1,y:2", "--cluster-ca", folder + "/cluster-ca.pem", "--certificate", folder + "/s.pem", "--key", folder + "/s-key.pem"] + common
            )
            #expect(flag.status != 0 && flag.output.contains("is not host:port"), "\(flag.output)")
            #expect(try await Self.run(["peer", "add", "Paris.Example.org:7433"] + common).output.contains("peer paris.example.org:7433 added"))
            #expect(try await Self.run(["peer", "add", "PARIS.example.org:7433"] + common).output.contains("already there"))
            #expect(try await Self.run(["peer", "add", "[::1]:7433"] + common).status == 0)
            #expect(try await Self.run(["peer", "add", "10.0.0.7:7433"] + common).status == 0)
            let listed = try await Self.run(["peer", "list"] + common)
            #expect(listed.output.split(separator: "\n").sorted() == ["10.0.0.7:7433", "[::1]:7433", "paris.example.org:7433"], "\(listed.output)")
            let removed = try await Self.run(["peer", "remove", "PARIS.EXAMPLE.ORG:7433"] + common)
            #expect(removed.status == 0, "\(removed.output)")
            let missing = try await Self.run(["peer", "remove", "nowhere\u{1b}:1"] + common)
            #expect(missing.status == 1 && missing.output.contains("--peer or GLOSS_PEERS") && !missing.output.contains("\u{1b}"), "\(missing.output)")
        }
    }

    @Test("serve refuses at start a site certificate that the cluster CA did not sign, naming the fix")
    func foreignSiteCertificate() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-foreign-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for name in ["ours", "theirs"] {
            #expect(try await Self.run(["cert", "ca", "--folder", "\(folder)/\(name)"]).status == 0)
        }
        #expect(try await Self.run(["cert", "issue", "--site", "x", "--ca-folder", "\(folder)/theirs", "--out", "\(folder)/x"]).status == 0)
        let refused = try await Self.run(
            ["serve", "--database-url", "postgres://gloss@127.0.0.1:1/gloss", "--replica-id", "x-1", "--cluster-ca", "\(folder)/ours/cluster-ca.pem",
             "--certificate", "\(folder)/x/x.pem", "--key", "\(folder)/x/x-key.pem", "--peer", "127.0.0.1:1"]
        )
        #expect(refused.status != 0 && refused.output.contains("not signed by the cluster CA"), "\(refused.output)")
    }

    @Test("glossd export writes JSON Lines, W3C JSON-LD, CSV, brat and HTML atomically, ends with a cursor, and --since returns exactly what changed")
    func export() async throws {
        try await withTestDatabase { database in
            let ids = try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                var ids: [AnnotationID] = []
                for quote in ["Japan", "security", "Kishida’s"] {
                    let id = AnnotationID.random()
                    _ = try await store.perform(
                        .create(AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: try sampleDocument.text.span(quoting: quote), label: "=X")),
                        on: id, by: "ana"
                    )
                    ids.append(id)
                }
                return ids
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-export-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let common = ["--database-url", database.url]
            let file = folder.appendingPathComponent("all.jsonl").path
            let first = try await Self.run(["export", "--output", file, "--offsets", "utf16,utf8"] + common)
            #expect(first.status == 0 && first.output.contains("exported 3 annotations"), "\(first.output)")
            let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").map {
                try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
            }
            #expect(lines.count == 5 && lines.first?["type"] as? String == "header" && lines.last?["type"] as? String == "end")
            #expect(lines.last?["count"] as? Int == 3)
            let annotations = lines.filter { $0["type"] as? String == "annotation" }
            #expect(Set(annotations.compactMap { $0["id"] as? String }) == Set(ids.map(\.description)))
            let kishida = try #require(annotations.first { $0["exact"] as? String == "Kishida’s" })
            let start = try #require(kishida["start"] as? Int)
            let prefix = String(String.UnicodeScalarView(sampleDocument.text.scalars[..<start]))
            #expect((kishida["utf16"] as? [String: Int])?["start"] == prefix.utf16.count)
            #expect((kishida["utf8"] as? [String: Int])?["start"] == prefix.utf8.count)
            let cursor = try #require(lines.last?["cursor"] as? String)
            #expect(first.output.contains("cursor: \(cursor)"))
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["all.jsonl"], "no partial file is left")

            _ = try await database.withStore(migrate: false) { store in try await store.perform(.set(.note("changed")), on: ids[1], by: "ben") }
            let changes = folder.appendingPathComponent("changes.jsonl").path
            let next = try await Self.run(["export", "--output", changes, "--since", cursor] + common)
            #expect(next.status == 0 && next.output.contains("exported 1 annotation "), "\(next.output)")
            let changed = try String(contentsOfFile: changes, encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }.filter { $0["type"] as? String == "annotation" }
            #expect(changed.map { $0["id"] as? String } == [ids[1].description] && changed.first?["note"] as? String == "changed")

            let csv = folder.appendingPathComponent("all.csv").path
            #expect(try await Self.run(["export", "--format", "csv", "--output", csv, "--project", "news", "--label", "=X"] + common).status == 0)
            let rows = try await Binaries.run(executable: "/usr/bin/env", ["python3", "-c", "import csv,sys; r=list(csv.DictReader(open(sys.argv[1], newline='', encoding='utf-8'))); print(len(r), r[0]['label'])", csv])
            #expect(rows.output.trimmingCharacters(in: .whitespacesAndNewlines) == "3 '=X", "\(rows.output)\(rows.error)")

            let w3c = folder.appendingPathComponent("all.jsonld").path
            #expect(try await Self.run(["export", "--format", "w3c", "--output", w3c] + common).status == 0)
            let read = try Python.run(
                """
                import json, sys
                d = json.load(open(sys.argv[1], encoding='utf-8'))
                graph = d['@graph']
                quotes = sorted(s['exact'] for p in graph if p['type'] == 'AnnotationPage' for a in p['items'] for s in a['target']['selector'] if s['type'] == 'TextQuoteSelector')
                print(json.dumps([graph[-1]['total'], quotes, graph[-1]['cursor'].startswith('gloss1-')]))
                """, [w3c]
            )
            #expect(String(decoding: read.output, as: UTF8.self) == "[3, [\"Japan\", \"Kishida\\u2019s\", \"security\"], true]\n", "\(read.error)")
            let tar = folder.appendingPathComponent("all.tar").path
            #expect(try await Self.run(["export", "--format", "brat", "--output", tar] + common).status == 0)
            let standoff = try Python.run(
                """
                import json, sys, tarfile
                from bratly import EntityAnnotation
                from bratly.io import parse_ann_file
                t = tarfile.open(sys.argv[1])
                files = {m.name: t.extractfile(m).read().decode('utf-8') for m in t.getmembers()}
                text = files['news/article.txt']
                entities = [a for a in parse_ann_file(files['news/article.ann'], 'x', False, False, False).annotations if isinstance(a, EntityAnnotation)]
                print(json.dumps([sorted(files), sorted(e.content for e in entities), all(e.content == ' '.join(text[f.start:f.end] for f in e.fragments) for e in entities)]))
                """, [tar]
            )
            #expect(
                String(decoding: standoff.output, as: UTF8.self)
                    == "[[\"annotation.conf\", \"news/article.ann\", \"news/article.txt\"], [\"Japan\", \"Kishida\\u2019s\", \"security\"], true]\n",
                "\(standoff.error)"
            )
            let report = folder.appendingPathComponent("review.html").path
            #expect(try await Self.run(["export", "--format", "html", "-o", report] + common).status == 0)
            let page = try String(contentsOfFile: report, encoding: .utf8)
            #expect(page.hasPrefix("<!DOCTYPE html>") && page.hasSuffix("</html>\n") && page.contains("<h2><bdi>Article</bdi></h2>"))
            #expect(ids.allSatisfy { page.contains("id=\"a-\($0)\"") } && !page.contains("http://") && !page.contains("https://"))
            let bratSince = try await Self.run(["export", "--format", "brat", "--since", cursor] + common)
            #expect(bratSince.status == 64 && bratSince.output.contains("brat shows annotations as they stand"), "\(bratSince.output)")
            let unitsRefused = try await Self.run(["export", "--format", "w3c", "--offsets", "utf16"] + common)
            #expect(unitsRefused.status == 64 && unitsRefused.output.contains("--offsets applies to jsonl and csv"), "\(unitsRefused.output)")

            // Refusals: a bad cursor, another database's cursor, a folder that does not exist; nothing is left behind.
            let bad = try await Self.run(["export", "--since", "nonsense"] + common)
            #expect(bad.status == 64 && bad.output.contains("is not an export cursor"), "\(bad.output)")
            let foreign = "gloss1-" + String(repeating: "0", count: 32) + "-1-1-2"
            let refused = try await Self.run(["export", "--output", folder.appendingPathComponent("x.jsonl").path, "--since", foreign] + common)
            #expect(refused.status == 65 && refused.output.contains("invalid-cursor"), "\(refused.output)")
            let nowhere = try await Self.run(["export", "--output", "/nonexistent-folder/x.jsonl"] + common)
            #expect(nowhere.status == 64 && nowhere.output.contains("cannot create a file in /nonexistent-folder"), "\(nowhere.output)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["all.csv", "all.jsonl", "all.jsonld", "all.tar", "changes.jsonl", "review.html"])
        }
    }

    @Test("project add/list and user add/grant/token/list/revoke work on the database; tokens authenticate until revoked")
    func usersAndProjects() async throws {
        try await withTestDatabase { database in
            let common = ["--database-url", database.url, "--replica-id", "cli-test"]
            #expect(try await Self.run(["migrate"] + common).status == 0)
            let project = try await Self.run(["project", "add", "news", "--title", "News analysis"] + common)
            #expect(project.status == 0 && project.output.contains("project news created"), "\(project.output)")
            #expect(try await Self.run(["project", "add", "news"] + common).output.contains("already-exists"))
            #expect(try await Self.run(["project", "add", "bad/id"] + common).status != 0)

            // A project that does not exist (yet: not replicated here) creates nothing, so the same command works later.
            let early = try await Self.run(["user", "add", "ana", "--project", "later", "--role", "analyst"] + common)
            #expect(early.status != 0 && early.output.contains("no project 'later'"), "\(early.output)")
            #expect(!(try await Self.run(["user", "list"] + common).output.contains("ana")), "no user is left half made")
            let added = try await Self.run(["user", "add", "ana", "--project", "news", "--role", "analyst"] + common)
            #expect(added.status == 0, "\(added.output)")
            let token = try #require(added.output.split(separator: "\n").last.map(String.init))
            #expect(token.hasPrefix("gloss_"))
            #expect(try await Self.run(["user", "add", "ana", "--project", "news", "--role", "analyst"] + common).output.contains("already-exists"))
            #expect(try await Self.run(["user", "add", "bo", "--project", "news", "--role", "boss"] + common).output.contains("reader, analyst, reviewer or admin"))
            #expect(try await Self.run(["user", "grant", "ana", "--project", "nowhere", "--role", "reader"] + common).output.contains("not-found"))
            let second = try await Self.run(["user", "token", "ana"] + common).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let listed = try await Self.run(["user", "list"] + common).output
            #expect(listed.contains("ana\troles=news=analyst\ttokens=2"), "\(listed)")
            #expect(try await Self.run(["project", "list"] + common).output.contains("news\tdocuments=0\tNews analysis"))

            let news = try ProjectID("news")
            let altered = String(token.dropLast()) + (token.hasSuffix("0") ? "1" : "0")
            try await database.withStore(migrate: false) { store in
                let principal = try await store.authenticate(token: token)
                #expect(principal?.roles == [news: .analyst])
                let again = try await store.authenticate(token: second)
                #expect(again?.name == "ana")
                let wrong = try await store.authenticate(token: altered)
                #expect(wrong == nil)
                let junk = try await store.authenticate(token: "gloss_1_nothex")
                #expect(junk == nil)
            }
            #expect(try await Self.run(["user", "revoke", "ana"] + common).output.contains("revoked 2 tokens of ana"))
            try await database.withStore(migrate: false) { store in
                let revoked = try await store.authenticate(token: token)
                #expect(revoked == nil)
            }
            let stored = try await database.count("SELECT count(*)::bigint FROM tokens WHERE position(convert_to(\(Self.sqlLiteral(String(token.split(separator: "_")[2]))), 'UTF8') IN token_hash) > 0")
            #expect(stored == 0, "the token itself is not stored")
        }
    }

    static func sqlLiteral(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }
}
