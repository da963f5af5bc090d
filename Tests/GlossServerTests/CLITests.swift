import Foundation
import GlossTestSupport
import Testing

/// The real `gloss` binary against a real `glossd serve`, over TLS, on PostgreSQL.
@Suite("gloss CLI end to end", .timeLimit(.minutes(3)))
struct CLITests {
    /// Runs gloss with its own configuration file.
    struct CLI {
        let config: String

        func run(_ arguments: [String], input: Data? = nil) throws -> (status: Int32, output: String, error: String) {
            try Binaries.run("gloss", arguments, environment: ["GLOSS_CONFIG": config], input: input)
        }

        /// Runs gloss and expects success; returns standard output.
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
            let result = try run(arguments)
            #expect(result.status == 0, "gloss \(arguments.joined(separator: " ")): \(result.error)", sourceLocation: sourceLocation)
            return result.output
        }

        /// Runs gloss --json and decodes each output line.
        func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> [[String: Any]] {
            try ok(arguments + ["--json"], sourceLocation: sourceLocation).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    static func cli() -> CLI {
        CLI(config: NSTemporaryDirectory() + "gloss-cli-test-\(UUID().uuidString)/config.json")
    }

    @Test("Two analysts edit one annotation concurrently: both see the merged result and the conflict; resolve clears it")
    func concurrentEditsAndResolve() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            for user in ["ana", "ben"] {
                let login = try cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
                #expect(login.contains("as \(user) (news=analyst)"))
            }
            let added = try cli.json(["add", "article", "--quote", "Kishida’s", "--label", "PERSON", "--tag", "japan", "--profile", "ana"])
            let id = try #require(added.first?["id"] as? String)
            #expect(added.first?["start"] as? Int == 54 && added.first?["end"] as? Int == 63)

            // Both look at it, then both change the label without seeing each other's change.
            _ = try cli.ok(["show", id, "--profile", "ana"])
            _ = try cli.ok(["show", id, "--profile", "ben"])
            _ = try cli.ok(["edit", id, "--label", "POLITICIAN", "--profile", "ana"])
            _ = try cli.ok(["edit", id, "--label", "PRIME-MINISTER", "--note", "head of government", "--profile", "ben"])

            for user in ["ana", "ben"] {
                let shown = try #require(try cli.json(["show", id, "--profile", user]).first)
                #expect(shown["conflictedFields"] as? [String] == ["label"], "\(user) sees the conflict")
                let conflicts = try #require(shown["conflicts"] as? [[String: Any]])
                let values = Set([shown["label"] as? String] + conflicts.map { $0["value"] as? String })
                #expect(values == ["POLITICIAN", "PRIME-MINISTER"], "both values are kept")
                #expect(shown["note"] as? String == "head of government", "the other field merges without conflict")
                #expect(shown["tags"] as? [String] == ["japan"])
            }
            let listed = try cli.json(["conflicts", "--profile", "ana"])
            #expect(listed.count == 1 && listed.first?["id"] as? String == id)

            _ = try cli.ok(["resolve", id, "--label", "PRIME-MINISTER", "--profile", "ana"])
            let resolved = try #require(try cli.json(["show", id, "--profile", "ben"]).first)
            #expect(resolved["label"] as? String == "PRIME-MINISTER")
            #expect((resolved["conflictedFields"] as? [String])?.isEmpty == true)
            #expect(try cli.ok(["conflicts", "--profile", "ben"]).contains("no conflicts"))

            let document = try cli.ok(["doc", "show", "article", "--profile", "ben"])
            #expect(document.contains("[Kishida’s]{1:PRIME-MINISTER}"), "\(document)")
        }
    }

    @Test("Documents, listings, tags, reviews, deletion and exit codes through the CLI")
    func everydayCommands() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            for user in ["ana", "rita", "rev"] {
                _ = try cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
            }
            let text = "東京 and 東京 again, café.\nSecond line."
            let file = NSTemporaryDirectory() + "gloss-doc-\(UUID().uuidString).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let uploaded = try cli.json(["doc", "add", file, "--title", "Tokyo twice", "--profile", "ana"])
            #expect(uploaded.first?["id"] as? String == "tokyo-twice" && uploaded.first?["codePoints"] as? Int == 35)
            #expect(try cli.ok(["doc", "ls", "--profile", "rita"]).contains("tokyo-twice\tTokyo twice"))

            let ambiguous = try cli.run(["add", "tokyo-twice", "--quote", "東京", "--profile", "ana"])
            #expect(ambiguous.status == 65 && ambiguous.error.contains("quote-ambiguous"), "\(ambiguous.error)")
            let second = try #require(try cli.json(["add", "tokyo-twice", "--quote", "東京", "--occurrence", "2", "--profile", "ana"]).first)
            #expect(second["start"] as? Int == 7 && second["end"] as? Int == 9)
            let id = try #require(second["id"] as? String)
            let outside = try cli.run(["add", "tokyo-twice", "--span", "30:99", "--profile", "ana"])
            #expect(outside.status == 65 && outside.error.contains("span-out-of-range"))

            _ = try cli.ok(["tag", id, "place", "capital", "--profile", "ana"])
            _ = try cli.ok(["untag", id, "capital", "--profile", "ana"])
            let readerWrite = try cli.run(["tag", id, "x", "--profile", "rita"])
            #expect(readerWrite.status == 77 && readerWrite.error.contains("forbidden"), "\(readerWrite.error)")
            let analystReview = try cli.run(["review", "accept", id, "--profile", "ana"])
            #expect(analystReview.status == 77)
            _ = try cli.ok(["review", "accept", id, "--comment", "fine", "--profile", "rev"])
            let listed = try cli.json(["ls", "--doc", "tokyo-twice", "--status", "accepted", "--profile", "rita"])
            #expect(listed.count == 1 && listed.first?["tags"] as? [String] == ["place"] && listed.first?["comment"] as? String == "fine")

            // ana deletes without having seen rev's review: the annotation stays, flagged.
            _ = try cli.ok(["rm", id, "--profile", "ana"])
            let flagged = try cli.json(["ls", "--doc", "tokyo-twice", "--profile", "ana"])
            #expect(flagged.first?["deleted"] as? String == "delete-conflict", "\(flagged)")
            // Having now seen everything (ls showed it), deleting again deletes.
            _ = try cli.ok(["rm", id, "--profile", "ana"])
            #expect(try cli.json(["ls", "--doc", "tokyo-twice", "--profile", "ana"]).isEmpty)
            #expect(try cli.json(["ls", "--doc", "tokyo-twice", "--deleted", "--profile", "ana"]).first?["deleted"] as? String == "deleted")

            let missing = try cli.run(["show", "00000000-0000-0000-0000-000000000009", "--profile", "ana"])
            #expect(missing.status == 66)
            let badToken = try cli.run(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", "gloss_1_" + String(repeating: "0", count: 64)])
            #expect(badToken.status == 77 && badToken.error.contains("auth-failed"))
            let unreachable = try cli.run(["login", "--server", "127.0.0.1:1", "--ca-file", server.caFile, "--token", "x"])
            #expect(unreachable.status == 69)
        }
    }

    @Test("Trust on first use pins the certificate; another certificate on that address is refused")
    func pinning() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            let login = try cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--token", server.tokens["ana"]!])
            #expect(login.contains("pinned"))
            #expect(try cli.ok(["whoami"]).contains("ana on 127.0.0.1:\(server.port)"))
            let config = try String(contentsOfFile: cli.config, encoding: .utf8)
            try config.replacingOccurrences(of: #""fingerprint" : "sha256:"#, with: #""fingerprint" : "sha256:00"#)
                .write(toFile: cli.config, atomically: true, encoding: .utf8)
            let refused = try cli.run(["whoami"])
            #expect(refused.status == 76 && refused.error.contains("certificate-mismatch"), "\(refused.error)")
        }
    }
}
