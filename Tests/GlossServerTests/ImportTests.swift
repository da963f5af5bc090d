import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// `gloss import` against real glossd servers: round trips through JSON Lines and W3C, idempotence,
/// review decisions, re-anchoring and what is refused.
@Suite("gloss import", .timeLimit(.minutes(5)))
struct ImportTests {
    static func folder() throws -> URL {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func login(_ cli: CLITests.CLI, _ user: String, on server: ServerProcess) async throws {
        _ = try await cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
    }

    /// The annotation lines of a JSON Lines export (header and end left out).
    static func records(_ path: String) throws -> [String] {
        Array(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).dropFirst().dropLast())
    }

    /// Annotations with a conflict, tags, a review, a later edit and a deletion, made by three users through the CLI.
    static func annotate(_ cli: CLITests.CLI) async throws -> [String: String] {
        var ids: [String: String] = [:]
        for (name, quote, label) in [("japan", "Japan", "PLACE"), ("kishida", "Kishida’s", "PERSON"), ("washington", "Washington", "PLACE"), ("talks", "security talks", "TOPIC")] {
            let added = try await cli.json(["add", "article", "--quote", quote, "--label", label, "--note", "said \"so\", =1+1", "--tag", "t-\(name)", "--profile", "ana"])
            ids[name] = try #require(added.first?["id"] as? String)
        }
        _ = try await cli.ok(["show", ids["kishida"]!, "--profile", "ana"])
        _ = try await cli.ok(["show", ids["kishida"]!, "--profile", "ben"])
        _ = try await cli.ok(["edit", ids["kishida"]!, "--label", "POLITICIAN", "--profile", "ana"])
        _ = try await cli.ok(["edit", ids["kishida"]!, "--label", "LEADER", "--note", "prime minister", "--profile", "ben"])
        _ = try await cli.ok(["tag", ids["washington"]!, "capital", "--profile", "ben"])
        _ = try await cli.ok(["review", "accept", ids["japan"]!, "--comment", "checked", "--profile", "rev"])
        _ = try await cli.ok(["rm", ids["talks"]!, "--profile", "ana"])
        return ids
    }

    @Test("A JSON Lines export imported into a server without those annotations exports again to the same records; importing again changes nothing; an edited review decision comes back as a review")
    func jsonLinesRoundTrip() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let cli = CLITests.cli()
        let ids = try await ServerProcess.with { a in
            for user in ["ana", "ben", "rev"] { try await Self.login(cli, user, on: a) }
            let ids = try await Self.annotate(cli)
            _ = try await cli.ok(["export", "--include-deleted", "-o", path("a.jsonl"), "--profile", "rev"])
            return ids
        }
        let original = try Self.records(path("a.jsonl"))
        #expect(original.count == 4 && original.contains { $0.contains(#""conflicts":[{"field":"label""#) } && original.contains { $0.contains(#""deleted":true"#) })

        try await ServerProcess.with { b in
            let other = CLITests.cli()
            try await Self.login(other, "rev", on: b)
            let first = try await other.run(["import", path("a.jsonl")])
            #expect(first.status == 0 && first.output.contains("4 records: created 4 (moved 0), reviewed 0, unchanged 0, refused 0"), "\(first.output)\(first.error)")
            _ = try await other.ok(["export", "--include-deleted", "-o", path("b.jsonl")])
            let again = try Self.records(path("b.jsonl"))
            for (line, expected) in zip(again, original) { #expect(line == expected) }
            #expect(again.count == original.count)

            let second = try await other.run(["import", path("a.jsonl")])
            #expect(second.status == 0 && second.output.contains("created 0 (moved 0), reviewed 0, unchanged 4, refused 0"), "\(second.output)\(second.error)")
            _ = try await other.ok(["export", "--include-deleted", "-o", path("b2.jsonl")])
            #expect(try Self.records(path("b2.jsonl")) == again, "the second import changed nothing")

            // A reviewer edits a decision in the file; it comes back as a review by the one importing it.
            let edited = original.map { line in
                line.contains(ids["washington"]!) ? line.replacingOccurrences(of: #""review":{"status":"open","comment":""}"#, with: #""review":{"status":"rejected","comment":"not a place here"}"#) : line
            }
            try (edited.joined(separator: "\n") + "\n").write(toFile: path("edited.jsonl"), atomically: true, encoding: .utf8)
            let reviewed = try await other.run(["import", path("edited.jsonl")])
            #expect(reviewed.status == 0 && reviewed.output.contains("reviewed 1, unchanged 3"), "\(reviewed.output)\(reviewed.error)")
            let shown = try #require(try await other.json(["show", ids["washington"]!]).first)
            #expect(shown["status"] as? String == "rejected" && shown["comment"] as? String == "not a place here", "\(shown)")
        }
    }

    @Test("A W3C export imported into a server without those annotations exports again to the same annotations")
    func webAnnotationRoundTrip() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let cli = CLITests.cli()
        try await ServerProcess.with { a in
            for user in ["ana", "ben", "rev"] { try await Self.login(cli, user, on: a) }
            _ = try await Self.annotate(cli)
            _ = try await cli.ok(["export", "--format", "w3c", "--include-deleted", "-o", path("a.jsonld"), "--profile", "rev"])
        }
        try await ServerProcess.with { c in
            let other = CLITests.cli()
            try await Self.login(other, "rev", on: c)
            let imported = try await other.run(["import", path("a.jsonld")])
            #expect(imported.status == 0 && imported.output.contains("4 records: created 4"), "\(imported.output)\(imported.error)")
            _ = try await other.ok(["export", "--format", "w3c", "--include-deleted", "-o", path("c.jsonld")])
            // Everything but the collection's line, which says when it was generated and holds the cursor.
            func annotations(_ name: String) throws -> [String] {
                try String(contentsOfFile: path(name), encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.contains("AnnotationCollection") }
            }
            #expect(try annotations("c.jsonld") == annotations("a.jsonld"))
            let twice = try await other.run(["import", path("a.jsonld")])
            #expect(twice.status == 0 && twice.output.contains("created 0 (moved 0), reviewed 0, unchanged 4"), "\(twice.output)\(twice.error)")
        }
    }

    @Test("Another tool's annotations: placed by their quote, prefix and suffix when their offsets are off; an absent quote, a record with no document, a line that is not JSON are reported and the rest imported; an analyst may not import")
    func otherToolsAndRefusals() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            for user in ["ana", "rev"] { try await Self.login(cli, user, on: server) }
            let foreign = """
                [{"@context": "http://www.w3.org/ns/anno.jsonld", "id": "http://example.org/anno/1", "type": "Annotation", "creator": "hypothesis-user",
                  "created": "2025-01-02T03:04:05Z", "body": {"type": "TextualBody", "value": "a comment"},
                  "target": {"source": "http://example.org/article", "selector": {"type": "TextQuoteSelector", "exact": "café", "prefix": "follows; ", "suffix": " vs"}}},
                 {"id": "http://example.org/anno/2", "type": "Annotation", "body": [{"type": "TextualBody", "purpose": "classifying", "value": "COUNTRY"}],
                  "target": {"source": "http://example.org/article", "selector": [{"type": "TextPositionSelector", "start": 17, "end": 30},
                    {"type": "TextQuoteSelector", "exact": "United States", "prefix": "Japan and the ", "suffix": " will"}]}},
                 {"id": "http://example.org/anno/3", "type": "Annotation", "bodyValue": "nowhere",
                  "target": {"selector": {"type": "TextQuoteSelector", "exact": "Tokyo"}}}]
                """
            try foreign.write(toFile: path("foreign.json"), atomically: true, encoding: .utf8)
            let analyst = try await cli.run(["import", path("foreign.json"), "--doc", "article", "--profile", "ana"])
            #expect(analyst.status == 77 && analyst.error.contains("IMPORT needs the reviewer role"), "\(analyst.error)")

            let imported = try await cli.run(["import", path("foreign.json"), "--doc", "article", "--profile", "rev"])
            #expect(imported.status == 65, "\(imported.output)\(imported.error)")
            #expect(imported.output.contains("3 records: created 2 (moved 1), reviewed 0, unchanged 0, refused 1"), "\(imported.output)")
            #expect(imported.error.contains("item 3: not imported: unanchorable: its quote \"Tokyo\" does not occur in the document"), "\(imported.error)")
            let listed = try await cli.json(["ls", "--profile", "rev"])
            let byLabel = Dictionary(uniqueKeysWithValues: listed.map { ($0["label"] as? String ?? "", $0) })
            #expect(byLabel["COUNTRY"]?["start"] as? Int == 14 && byLabel["COUNTRY"]?["end"] as? Int == 27, "moved to where the quote is: \(listed)")
            let comment = try #require(byLabel[""])
            #expect(comment["note"] as? String == "a comment" && comment["quote"] as? String == "café" && comment["creator"] as? String == "hypothesis-user", "\(comment)")
            #expect(byLabel["COUNTRY"]?["creator"] as? String == "rev", "no creator in the file: the importer")
            let again = try await cli.run(["import", path("foreign.json"), "--doc", "article", "--profile", "rev"])
            #expect(again.status == 65 && again.output.contains("created 0 (moved 0), reviewed 0, unchanged 2, refused 1"), "derived ids find the same annotations: \(again.output)")

            let lines = """
                {"type":"annotation","project":"news","document":"article","start":0,"end":5,"exact":"Japan","label":"PLACE"}
                not json at all
                {"type":"annotation","start":0,"end":5,"exact":"Japan"}
                {"type":"annotation","project":"news","document":"article","start":"zero","end":5}

                """
            try lines.write(toFile: path("mixed.jsonl"), atomically: true, encoding: .utf8)
            let mixed = try await cli.run(["import", path("mixed.jsonl"), "--format", "jsonl", "--profile", "rev"])
            #expect(mixed.status == 65 && mixed.output.contains("4 records: created 1"), "\(mixed.output)\(mixed.error)")
            #expect(mixed.error.contains("line 2: not imported: bad-record: the record is not a JSON object"), "\(mixed.error)")
            #expect(mixed.error.contains("line 3: not imported: bad-argument: the record names no document"), "\(mixed.error)")
            #expect(mixed.error.contains("line 4: not imported: bad-record: start is not a whole number"), "\(mixed.error)")
        }
    }

    @Test("The same record three times in one file creates it once; a file without review information leaves a decision alone; CRLF lines, untyped and oa: annotations import; a re-anchored record is not reported as differing; an impossible losing value, an empty file and a folder are refused")
    func repeatsAndForms() async throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        try await ServerProcess.with { server in
            let cli = CLITests.cli()
            for user in ["ana", "rev"] { try await Self.login(cli, user, on: server) }
            let record = #"{"type":"annotation","id":"0d7e3f1a-0000-4000-8000-000000000001","project":"news","document":"article","start":0,"end":5,"exact":"Japan","label":"PLACE"}"#
            try ([record, record, record].joined(separator: "\r\n") + "\r\n").write(toFile: path("thrice.jsonl"), atomically: true, encoding: .utf8)
            let thrice = try await cli.run(["import", path("thrice.jsonl"), "--profile", "rev"])
            #expect(thrice.status == 0 && thrice.output.contains("3 records: created 1 (moved 0), reviewed 0, unchanged 2"), "\(thrice.output)\(thrice.error)")
            let shown = try #require(try await cli.json(["show", "0d7e3f1a-0000-4000-8000-000000000001", "--profile", "rev"]).first)
            #expect((shown["conflictedFields"] as? [String])?.isEmpty == true, "no conflict with itself: \(shown)")

            // Another tool's file says nothing of reviews: a decision made since stays.
            let foreign = """
                [{"target": [{"source": "http://example.org/article", "selector": [{"type": "TextQuoteSelector", "exact": "security talks"},
                   {"type": "TextPositionSelector", "start": 40, "end": 54}]}], "text": "hypothesis note", "tags": ["h"]},
                 {"@type": "oa:Annotation", "target": {"selector": {"type": "TextQuoteSelector", "exact": "Washington"}}},
                 {"type": "Note", "content": "not an annotation"}]
                """
            try foreign.write(toFile: path("foreign.json"), atomically: true, encoding: .utf8)
            let first = try await cli.run(["import", path("foreign.json"), "--doc", "article", "--profile", "rev"])
            #expect(first.status == 65 && first.output.contains("3 records: created 2 (moved 1)"), "\(first.output)\(first.error)")
            #expect(first.error.contains("item 3: not imported: bad-record: not a Web Annotation"), "\(first.error)")
            let listed = try await cli.json(["ls", "--profile", "rev"])
            let talks = try #require(listed.first { $0["quote"] as? String == "security talks" })
            #expect(talks["note"] as? String == "hypothesis note" && talks["tags"] as? [String] == ["h"], "\(talks)")
            let talksID = try #require(talks["id"] as? String)
            _ = try await cli.ok(["review", "accept", talksID, "--comment", "checked", "--profile", "rev"])
            let again = try await cli.run(["import", path("foreign.json"), "--doc", "article", "--profile", "rev"])
            #expect(again.output.contains("created 0 (moved 0), reviewed 0, unchanged 2"), "\(again.output)")
            #expect(!again.error.contains("differs in"), "the moved record is where the file places it: \(again.error)")
            let kept = try #require(try await cli.json(["show", talksID, "--profile", "rev"]).first)
            #expect(kept["status"] as? String == "accepted" && kept["comment"] as? String == "checked", "\(kept)")

            let impossible = #"{"type":"annotation","project":"news","document":"article","start":0,"end":5,"exact":"Japan","conflicts":[{"field":"span","start":90,"end":999,"exact":"x","author":"ben","time":"2026-01-01T00:00:00Z"}]}"#
            try (impossible + "\n").write(toFile: path("impossible.jsonl"), atomically: true, encoding: .utf8)
            let refused = try await cli.run(["import", path("impossible.jsonl"), "--profile", "rev"])
            #expect(refused.status == 65 && refused.error.contains("conflicts[0] holds the span [90, 999)"), "\(refused.error)")

            let analyst = try await cli.run(["import", path("thrice.jsonl"), "--profile", "ana"])
            #expect(analyst.status == 77 && !analyst.error.contains("importing again is safe"), "\(analyst.error)")
            try "\n  \n".write(toFile: path("empty.jsonl"), atomically: true, encoding: .utf8)
            let empty = try await cli.run(["import", path("empty.jsonl"), "--profile", "rev"])
            #expect(empty.status == 64 && empty.error.contains("is empty"), "\(empty.error)")
            let notFile = try await cli.run(["import", folder.path, "--profile", "rev"])
            #expect(notFile.status == 64 && notFile.error.contains("is a folder"), "\(notFile.error)")
        }
    }
}
