import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// The real `gloss` binary against a real `glossd serve`, over TLS, on PostgreSQL.
@Suite("gloss CLI end to end", .timeLimit(.minutes(3)))
struct CLITests {
    /// Runs gloss with its own configuration file.
    struct CLI {
        let config: String

        func run(_ arguments: [String], input: Data? = nil) async throws -> (status: Int32, output: String, error: String) {
            try await Binaries.run("gloss", arguments, environment: ["GLOSS_CONFIG": config], input: input)
        }

        /// Runs gloss and expects success; returns standard output.
        func ok(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
            let result = try await run(arguments)
            #expect(result.status == 0, "gloss \(arguments.joined(separator: " ")): \(result.error)", sourceLocation: sourceLocation)
            return result.output
        }

        /// Runs gloss --json and decodes each output line.
        func json(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) async throws -> [[String: Any]] {
            try await ok(arguments + ["--json"], sourceLocation: sourceLocation).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    @Test("Errors about what was typed show it escaped: an unknown option holding ESC, a span with leading zeros")
    func typedInputInErrors() async throws {
        let cli = Self.cli()
        let unknown = try await cli.run(["add", "article", "--lab\u{1B}[31mel", "X"])
        #expect(unknown.status == 64 && unknown.error.contains("\\u{1b}[31m") && !unknown.error.contains("\u{1B}"), "\(unknown.error)")
        let zeros = try await cli.run(["add", "article", "--span", "01:2"])
        #expect(zeros.status == 64 && zeros.error.contains("--span takes START:END"), "\(zeros.error)")
    }

    static func cli() -> CLI {
        CLI(config: NSTemporaryDirectory() + "gloss-cli-test-\(UUID().uuidString)/config.json")
    }

    @Test("Two analysts edit one annotation concurrently: both see the merged result and the conflict; resolve clears it")
    func concurrentEditsAndResolve() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            for user in ["ana", "ben"] {
                let login = try await cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
                #expect(login.contains("as \(user) (news=analyst)"))
            }
            let added = try await cli.json(["add", "article", "--quote", "Kishida’s", "--label", "PERSON", "--tag", "japan", "--profile", "ana"])
            let id = try #require(added.first?["id"] as? String)
            #expect(added.first?["start"] as? Int == 54 && added.first?["end"] as? Int == 63)

            // Both look at it, then both change the label without seeing each other's change.
            _ = try await cli.ok(["show", id, "--profile", "ana"])
            _ = try await cli.ok(["show", id, "--profile", "ben"])
            _ = try await cli.ok(["edit", id, "--label", "POLITICIAN", "--profile", "ana"])
            _ = try await cli.ok(["edit", id, "--label", "PRIME-MINISTER", "--note", "head of government", "--profile", "ben"])

            for user in ["ana", "ben"] {
                let shown = try #require(try await cli.json(["show", id, "--profile", user]).first)
                #expect(shown["conflictedFields"] as? [String] == ["label"], "\(user) sees the conflict")
                let conflicts = try #require(shown["conflicts"] as? [[String: Any]])
                let values = Set([shown["label"] as? String] + conflicts.map { $0["value"] as? String })
                #expect(values == ["POLITICIAN", "PRIME-MINISTER"], "both values are kept")
                #expect(shown["note"] as? String == "head of government", "the other field merges without conflict")
                #expect(shown["tags"] as? [String] == ["japan"])
            }
            let listed = try await cli.json(["conflicts", "--profile", "ana"])
            #expect(listed.count == 1 && listed.first?["id"] as? String == id)

            _ = try await cli.ok(["resolve", id, "--label", "PRIME-MINISTER", "--profile", "ana"])
            let resolved = try #require(try await cli.json(["show", id, "--profile", "ben"]).first)
            #expect(resolved["label"] as? String == "PRIME-MINISTER")
            #expect((resolved["conflictedFields"] as? [String])?.isEmpty == true)
            #expect(try await cli.ok(["conflicts", "--profile", "ben"]).contains("no conflicts"))

            let document = try await cli.ok(["doc", "show", "article", "--profile", "ben"])
            #expect(document.contains("[Kishida’s]{1:PRIME-MINISTER}"), "\(document)")
        }
    }

    @Test("Documents, listings, tags, reviews, deletion and exit codes through the CLI")
    func everydayCommands() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            for user in ["ana", "rita", "rev"] {
                _ = try await cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
            }
            let text = "東京 and 東京 again, café.\nSecond line."
            let file = NSTemporaryDirectory() + "gloss-doc-\(UUID().uuidString).txt"
            try Data(text.utf8).write(to: URL(fileURLWithPath: file))
            let uploaded = try await cli.json(["doc", "add", file, "--title", "Tokyo twice", "--profile", "ana"])
            #expect(uploaded.first?["id"] as? String == "tokyo-twice" && uploaded.first?["codePoints"] as? Int == 35)
            #expect(try await cli.ok(["doc", "ls", "--profile", "rita"]).contains("tokyo-twice\tTokyo twice"))

            let ambiguous = try await cli.run(["add", "tokyo-twice", "--quote", "東京", "--profile", "ana"])
            #expect(ambiguous.status == 65 && ambiguous.error.contains("quote-ambiguous"), "\(ambiguous.error)")
            let second = try #require(try await cli.json(["add", "tokyo-twice", "--quote", "東京", "--occurrence", "2", "--profile", "ana"]).first)
            #expect(second["start"] as? Int == 7 && second["end"] as? Int == 9)
            let id = try #require(second["id"] as? String)
            let outside = try await cli.run(["add", "tokyo-twice", "--span", "30:99", "--profile", "ana"])
            #expect(outside.status == 65 && outside.error.contains("span-out-of-range"))

            _ = try await cli.ok(["tag", id, "place", "capital", "--profile", "ana"])
            _ = try await cli.ok(["untag", id, "capital", "--profile", "ana"])
            let readerWrite = try await cli.run(["tag", id, "x", "--profile", "rita"])
            #expect(readerWrite.status == 77 && readerWrite.error.contains("forbidden"), "\(readerWrite.error)")
            let analystReview = try await cli.run(["review", "accept", id, "--profile", "ana"])
            #expect(analystReview.status == 77)
            _ = try await cli.ok(["review", "accept", id, "--comment", "fine", "--profile", "rev"])
            let listed = try await cli.json(["ls", "--doc", "tokyo-twice", "--status", "accepted", "--profile", "rita"])
            #expect(listed.count == 1 && listed.first?["tags"] as? [String] == ["place"] && listed.first?["comment"] as? String == "fine")

            // ana deletes without having seen rev's review: the annotation stays, flagged.
            _ = try await cli.ok(["rm", id, "--profile", "ana"])
            let flagged = try await cli.json(["ls", "--doc", "tokyo-twice", "--profile", "ana"])
            #expect(flagged.first?["deleted"] as? String == "delete-conflict", "\(flagged)")
            // Having now seen everything (ls showed it), deleting again deletes.
            _ = try await cli.ok(["rm", id, "--profile", "ana"])
            #expect(try await cli.json(["ls", "--doc", "tokyo-twice", "--profile", "ana"]).isEmpty)
            #expect(try await cli.json(["ls", "--doc", "tokyo-twice", "--deleted", "--profile", "ana"]).first?["deleted"] as? String == "deleted")

            let missing = try await cli.run(["show", "00000000-0000-0000-0000-000000000009", "--profile", "ana"])
            #expect(missing.status == 66)
            let badToken = try await cli.run(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", "gloss_1_" + String(repeating: "0", count: 64)])
            #expect(badToken.status == 77 && badToken.error.contains("auth-failed"))
            let unreachable = try await cli.run(["login", "--server", "127.0.0.1:1", "--ca-file", server.caFile, "--token", "x"])
            #expect(unreachable.status == 69)
        }
    }

    @Test("After rm and show, an edit is refused (restore first) instead of resurrecting the annotation flagged")
    func editAfterSeenDeletion() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            _ = try await cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["ana"]!])
            let id = try #require(try await cli.json(["add", "article", "--quote", "Kishida’s", "--label", "PERSON"]).first?["id"] as? String)
            _ = try await cli.ok(["rm", id])
            #expect(try await cli.json(["show", id]).first?["deleted"] as? String == "deleted")
            let edit = try await cli.run(["edit", id, "--note", "x"])
            #expect(edit.status == 65 && edit.error.contains("annotation-deleted") && edit.error.contains("gloss restore"), "\(edit.error)")
            #expect(try await cli.json(["ls"]).isEmpty, "nothing came back")
            #expect(try await cli.json(["conflicts"]).isEmpty, "and nothing is flagged delete-conflict")
            _ = try await cli.ok(["restore", id])
            _ = try await cli.ok(["edit", id, "--note", "x"])
            let shown = try #require(try await cli.json(["show", id]).first)
            #expect(shown["deleted"] as? String == "live" && shown["note"] as? String == "x")
        }
    }

    @Test("Other people's control characters never reach the terminal: escaped in every human output, exact in --json")
    func terminalEscapes() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            for user in ["ana", "ben"] {
                _ = try await cli.ok(["login", "--profile", user, "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens[user]!])
            }
            let label = "\u{1B}[2J\u{1B}[1;32mACCEPTED\u{1B}[0m"
            let note = "bell\u{7}\u{9B}31m right\u{202E}txt.exe\u{2066}"
            let hostile = "Title \u{1B}]0;owned\u{7} \u{202E}evil\nSecond line \u{1B}[31mred\u{1B}[0m."
            let file = NSTemporaryDirectory() + "gloss-hostile-\(UUID().uuidString).txt"
            try Data(hostile.utf8).write(to: URL(fileURLWithPath: file))
            _ = try await cli.ok(["doc", "add", file, "--id", "hostile", "--title", label, "--profile", "ana"])
            let id = try #require(try await cli.json(["add", "article", "--quote", "Kishida’s", "--label", label, "--note", note, "--profile", "ana"]).first?["id"] as? String)
            _ = try await cli.ok(["add", "hostile", "--quote", "evil", "--label", label, "--profile", "ana"])
            _ = try await cli.ok(["show", id, "--profile", "ben"])
            _ = try await cli.ok(["edit", id, "--label", label + "2", "--profile", "ben"])
            _ = try await cli.ok(["edit", id, "--label", label + "3", "--profile", "ana"])
            let outputs = [
                try await cli.run(["ls", "--profile", "ben"]), try await cli.run(["show", id, "--profile", "ben"]), try await cli.run(["conflicts", "--profile", "ben"]),
                try await cli.run(["doc", "show", "hostile", "--profile", "ben"]), try await cli.run(["doc", "show", "article", "--profile", "ben"]),
                try await cli.run(["doc", "ls", "--profile", "ben"]), try await cli.run(["add", "article", "--quote", label, "--profile", "ben"]),
            ]
            for result in outputs {
                let everything = result.output + result.error
                let unsafe = everything.unicodeScalars.filter { Excerpt.isUnsafe($0) && $0 != "\n" && $0 != "\t" }
                #expect(unsafe.isEmpty, "raw control characters reached the terminal: \(unsafe.map { String($0.value, radix: 16) })")
            }
            #expect(outputs[0].output.contains("\\u{1b}[2J\\u{1b}[1;32mACCEPTED"), "\(outputs[0].output)")
            #expect(outputs[1].output.contains("\\u{202e}txt.exe"))
            #expect(outputs[3].output.contains("Second line"), "a document's own line breaks stay")
            #expect(outputs[6].error.contains("\\u{1b}"), "errors quoting input are escaped too: \(outputs[6].error)")
            let exact = try #require(try await cli.json(["show", id, "--profile", "ben"]).first)
            #expect(exact["note"] as? String == note, "--json stays exact")
            #expect(Set([exact["label"] as? String] + ((exact["conflicts"] as? [[String: Any]]) ?? []).map { $0["value"] as? String }) == [label + "2", label + "3"])
        }
    }

    @Test("A file with a byte order mark is stored as its bytes, the same through the CLI and DOC-PUT, with the file's SHA-256")
    func byteOrderMark() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            _ = try await cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["ana"]!])
            let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("hello world".utf8)
            let file = NSTemporaryDirectory() + "gloss-bom-\(UUID().uuidString).txt"
            try Data(bytes).write(to: URL(fileURLWithPath: file))
            let uploaded = try #require(try await cli.json(["doc", "add", file, "--id", "bom"]).first)
            #expect(uploaded["codePoints"] as? Int == 12)
            #expect(uploaded["sha256"] as? String == DocumentText(String(decoding: bytes, as: UTF8.self)).sha256)
            #expect(uploaded["sha256"] as? String == "30fd833cee9e20df3791bea8a1990acea6ef2b4765f4986663fea56297449933")
            let ana = try await server.connect(as: "ana")
            let put = try await ana.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: try DocumentID("bom"), title: "again", text: String(decoding: bytes, as: UTF8.self)))).reply
            #expect(put["code-points"] == "12" && put["sha256"] == uploaded["sha256"] as? String, "DOC-PUT of the same text is the same document")
            // Read the JSON text as is: Foundation's JSONSerialization drops a U+FEFF inside a string.
            let shown = try await cli.ok(["doc", "show", "bom", "--json"])
            #expect(shown.contains("\"text\":\"\u{FEFF}hello world\""), "\(shown)")
            let quoted = try #require(try await cli.json(["add", "bom", "--quote", "hello"]).first)
            #expect(quoted["start"] as? Int == 1, "offsets count the byte order mark as code point 0")
            await ana.close()
        }
    }

    @Test("Offsets that split a character are accepted with a warning on standard error; a quote that would split one is refused")
    func splitCharacterWarning() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            _ = try await cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["ana"]!])
            let refused = try await cli.run(["add", "article", "--quote", "cafe"])
            #expect(refused.status == 65 && refused.error.contains("splits-character"), "\(refused.error)")
            let split = try await cli.run(["add", "article", "--span", "101:105"])
            #expect(split.status == 0 && split.error.contains("warning: splits-character"), "\(split.output) \(split.error)")
        }
    }

    @Test("Trust on first use pins the certificate; another certificate on that address is refused")
    func pinning() async throws {
        try await ServerProcess.with { server in
            let cli = Self.cli()
            let login = try await cli.ok(["login", "--server", "127.0.0.1:\(server.port)", "--token", server.tokens["ana"]!])
            #expect(login.contains("pinned"))
            #expect(try await cli.ok(["whoami"]).contains("ana on 127.0.0.1:\(server.port)"))
            let config = try String(contentsOfFile: cli.config, encoding: .utf8)
            try config.replacingOccurrences(of: #""fingerprint" : "sha256:"#, with: #""fingerprint" : "sha256:00"#)
                .write(toFile: cli.config, atomically: true, encoding: .utf8)
            let refused = try await cli.run(["whoami"])
            #expect(refused.status == 76 && refused.error.contains("certificate-mismatch"), "\(refused.error)")
        }
    }
}
