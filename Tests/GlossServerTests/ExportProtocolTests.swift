import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// `gloss export` over TLS against the real glossd, beside `glossd export` on the same database.
@Suite("gloss export over the protocol", .timeLimit(.minutes(5)))
struct ExportProtocolTests {
    /// Adds `count` annotations to the article, `width` requests at a time, each note padded
    /// with `padding` letters; returns their ids.
    static func annotate(_ server: ServerProcess, count: Int, width: Int = 32, padding: Int = 0) async throws -> [String] {
        let ana = try await server.connect(as: "ana")
        defer { Task { await ana.close() } }
        var ids: [String] = []
        for batch in stride(from: 0, to: count, by: width) {
            ids += try await withThrowingTaskGroup(of: String.self) { group in
                for index in batch..<min(batch + width, count) {
                    group.addTask {
                        let start = index % 100
                        let new = NewAnnotation(
                            document: DocumentReference(try DocumentID("article")), target: .offsets(start: start, end: start + 7),
                            label: index % 3 == 0 ? "PERSON" : "PLACE", note: "note \(index) \"quoted\", =SUM(A1)" + String(repeating: "x", count: padding), tags: ["t\(index % 5)"]
                        )
                        return try #require(try await ana.send(.add(new)).reply["id"])
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        return ids
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test("Each format streamed by gloss export holds what glossd export writes from the same snapshot; --since brings exactly what changed; an interrupted export resumes to the same bytes")
    func sameAsDirect() async throws {
        try await ServerProcess.with { server in
            let ids = try await Self.annotate(server, count: 2_500)
            let cli = CLITests.cli()
            let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-export-protocol-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
            _ = try await cli.ok(["login", "--profile", "rev", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["rev"]!])

            let streamed = try await cli.run(["export", "--offsets", "utf16,utf8", "-o", path("over.jsonl")])
            #expect(streamed.status == 0 && streamed.error.contains("exported 2500 annotations to"), "\(streamed.error)")
            let direct = try await Binaries.run("glossd", ["export", "--database-url", server.database.url, "--project", "news", "--offsets", "utf16,utf8", "-o", path("direct.jsonl")])
            #expect(direct.status == 0, "\(direct.error)")
            let (over, straight) = (try Self.lines(path("over.jsonl")), try Self.lines(path("direct.jsonl")))
            #expect(over.count == 2_502 && Array(over.dropFirst().dropLast()) == Array(straight.dropFirst().dropLast()), "the same 2,500 records, in the same order")
            #expect(over.last?.contains(#""count":2500"#) == true)
            let records = over.dropFirst().dropLast().compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(Set(records.compactMap { $0["id"] as? String }) == Set(ids))
            let cursor = try #require(streamed.error.split(separator: "\n").last.map { $0.replacingOccurrences(of: "cursor: ", with: "") })

            // CSV carries no time: byte for byte what glossd writes.
            #expect(try await cli.run(["export", "--format", "csv", "-o", path("over.csv")]).status == 0)
            #expect(try await Binaries.run("glossd", ["export", "--database-url", server.database.url, "--format", "csv", "-o", path("direct.csv")]).status == 0)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path("over.csv"))) == Data(contentsOf: URL(fileURLWithPath: path("direct.csv"))))
            // brat in a tar file, W3C and HTML: whole and well formed.
            #expect(try await cli.run(["export", "--format", "brat", "-o", path("over.tar")]).status == 0)
            let listed = try await Binaries.run(executable: "/usr/bin/tar", ["-tf", path("over.tar")])
            #expect(listed.output.split(separator: "\n").sorted() == ["annotation.conf", "news/article.ann", "news/article.txt"], "\(listed.output)")
            #expect(try await cli.run(["export", "--format", "w3c", "-o", path("over.jsonld")]).status == 0)
            let collection = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("over.jsonld")))) as? [String: Any]
            let graph = collection?["@graph"] as? [[String: Any]] ?? []
            #expect(graph.last?["type"] as? String == "AnnotationCollection" && graph.last?["total"] as? Int == 2_500)
            #expect(graph.dropLast().reduce(0) { $0 + (($1["items"] as? [Any])?.count ?? 0) } == 2_500, "three pages of items")
            let html = try await cli.run(["export", "--format", "html"])
            #expect(html.status == 0 && html.output.hasPrefix("<!DOCTYPE html>") && html.output.hasSuffix("</html>\n"), "\(html.output.suffix(100))")

            // --since: one edit and one deletion later, exactly those two (taken among the first records, which the resumed export below keeps).
            let (edited, deleted) = (try #require(records[5]["id"] as? String), try #require(records[6]["id"] as? String))
            let ana = try await server.connect(as: "ana")
            _ = try await ana.send(.set(try AnnotationID(edited), [.label("EDITED")]))
            _ = try await ana.send(.delete(try AnnotationID(deleted)))
            await ana.close()
            let changes = try await cli.run(["export", "--since", cursor, "-o", path("changes.jsonl")])
            #expect(changes.status == 0, "\(changes.error)")
            let changed = try Self.lines(path("changes.jsonl")).dropFirst().dropLast()
            #expect(changed.count == 2 && changed.contains { $0.contains(edited) && $0.contains("EDITED") } && changed.contains { $0.contains(deleted) && $0.contains(#""deleted":true"#) })

            // An export cut after 1,000 records and half a line goes on to the very bytes of the whole one.
            let whole = try Data(contentsOf: URL(fileURLWithPath: path("over.jsonl")))
            let lineEnds = whole.indices.filter { whole[$0] == UInt8(ascii: "\n") }
            try whole[..<(lineEnds[1_000] + 40)].write(to: URL(fileURLWithPath: path(".resumed.jsonl.partial-1")))
            // The database changed since (the edit and the deletion): the resumed part still shows the first snapshot.
            let resumed = try await cli.run(["export", "--resume", "-o", path("resumed.jsonl")])
            #expect(resumed.status == 0 && resumed.error.contains("resuming") && resumed.error.contains("after 1000 annotations"), "\(resumed.status) \(resumed.error) \(resumed.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path("resumed.jsonl"))) == whole, "the first snapshot's states, ending with its cursor")
            #expect(!FileManager.default.fileExists(atPath: path(".resumed.jsonl.partial-1")))
        }
    }

    @Test("EXPORT needs the reviewer role; a bad format, offsets, time, cursor or resume position is refused with its code; past --max-exports it is too-many-exports; a client that stops reading is cut off after the idle time-out and frees its export")
    func refusals() async throws {
        try await ServerProcess.with(arguments: ["--max-exports", "1", "--idle-timeout", "3"]) { server in
            // About 16 MB of stream: far more than the sockets' buffers hold.
            _ = try await Self.annotate(server, count: 3_000, width: 64, padding: 4_000)
            let cli = CLITests.cli()
            _ = try await cli.ok(["login", "--profile", "ana", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["ana"]!])
            let analyst = try await cli.run(["export"])
            #expect(analyst.status == 77 && analyst.error.contains("EXPORT needs the reviewer role"), "\(analyst.error)")

            let rev = try await server.connect(as: "rev")
            let cases: [(String, String)] = [
                ("EXPORT format=xml", "bad-argument"),
                ("EXPORT format=w3c offsets=utf16", "bad-argument"),
                ("EXPORT offsets=utf32", "bad-argument"),
                ("EXPORT format=html deleted=yes", "bad-argument"),
                ("EXPORT changed-after=yesterday", "bad-argument"),
                ("EXPORT since=gloss1-nonsense", "invalid-cursor"),
                ("EXPORT after=news/article/0/x", "bad-argument"),
                ("EXPORT as-of=gloss1-nonsense", "invalid-cursor"),
                ("EXPORT project=secret", "not-found"),
                ("EXPORT doc=missing", "not-found"),
            ]
            for (index, (line, code)) in cases.enumerated() {
                let tag = "r\(index)"
                let got = await BadInputTests.code(rev, "\(tag) \(line)", tag: tag)
                #expect(got == code, "\(line): \(got ?? "OK")")
            }

            // A client that asks for an export and stops reading holds the one export allowed...
            let stuck = try await RawTLSClient.connect(port: server.port)
            _ = try await stuck.readLine()
            try await stuck.write(Array("a1 AUTH token=\(server.tokens["rev"]!)\na2 EXPORT offsets=utf16,utf8\n".utf8))
            #expect(try await stuck.readLine().hasPrefix("a1 OK"))
            #expect(try await stuck.readLine().hasPrefix("a2 EXPORTING total=3000"))
            try await stuck.stopReading()
            try await Task.sleep(for: .milliseconds(500))
            #expect(await BadInputTests.code(rev, "b1 EXPORT", tag: "b1") == "too-many-exports")
            // ...while other requests go on...
            #expect(try await rev.send(.ping).reply.word == "OK")
            // ...until the idle time-out closes it and frees the export for the next client.
            var freed = false
            for attempt in 0..<40 where !freed {
                try await Task.sleep(for: .milliseconds(250))
                freed = await BadInputTests.code(rev, "c\(attempt) EXPORT format=csv label=PERSON", tag: "c\(attempt)") == nil
            }
            #expect(freed, "the stalled export ended and its slot was given back")
            #expect(server.log.contains("closed a session whose export stopped being read"), "\(server.log.suffix(2_000))")
            await stuck.close()
            await rev.close()
        }
    }

    @Test("Bad flags are refused by gloss itself (64, naming the flag); a resume whose header filter cannot be read is refused; an export that fails before its first bytes leaves no partial file; a closed standard error is no crash")
    func clientSideRefusals() async throws {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-export-refusals-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
        let cli = CLITests.cli()
        try await ServerProcess.with { server in
            _ = try await cli.ok(["login", "--profile", "rev", "--server", "127.0.0.1:\(server.port)", "--ca-file", server.caFile, "--token", server.tokens["rev"]!])
            for (arguments, flag) in [
                (["--changed-after", "yesterday"], "--changed-after"), (["--offsets", "utf32"], "--offsets"), (["--format", "w3c", "--offsets", "utf16"], "--offsets"),
                (["--format", "brat", "--include-deleted"], "--include-deleted"),
            ] {
                let refused = try await cli.run(["export"] + arguments)
                #expect(refused.status == 64 && refused.error.contains(flag) && !refused.error.contains("\(flag.dropFirst(2))="), "\(arguments): \(refused.error)")
            }
            // A header whose filter this build cannot read: refused by gloss and by glossd alike, the file kept.
            let header = #"{"type":"header","schema":"gloss.export/1","exported":"2026-12-04T09:30:00.000Z","offsets":["codepoints"],"cursor":"gloss1-00000000000000000000000000000000-1-1-1","filter":{"status":"bogus"}}"#
            for (name, filter) in [("bogus", #"{"status":"bogus"}"#), ("unknown", #"{"lable":"x"}"#)] {
                try (header.replacingOccurrences(of: #"{"status":"bogus"}"#, with: filter) + "\n").write(toFile: path(".\(name).jsonl.partial-1"), atomically: true, encoding: .utf8)
                let client = try await cli.run(["export", "--resume", "-o", path("\(name).jsonl")])
                #expect(client.status == 64 && client.error.contains("holds a filter this build cannot read"), "\(client.error)")
                let direct = try await Binaries.run("glossd", ["export", "--resume", "-o", path("\(name).jsonl"), "--database-url", server.database.url])
                #expect(direct.status == 64 && direct.error.contains("holds a filter this build cannot read"), "\(direct.error)")
                #expect(FileManager.default.fileExists(atPath: path(".\(name).jsonl.partial-1")))
            }
            // Standard error closed: the refusal is lost, not turned into a crash.
            let closed = try await Binaries.run(executable: "/bin/bash", ["-c", "'\(Binaries.path("gloss"))' export --since junk 2>&-; echo status=$?"], environment: ["GLOSS_CONFIG": cli.config])
            #expect(closed.output.contains("status=65"), "\(closed.output)")
            _ = await server.stop()
            let away = try await cli.run(["export", "-o", path("away.jsonl")])
            #expect(away.status == 69, "\(away.error)")
            #expect(!away.error.contains("--resume"), "nothing was written, so there is nothing to resume: \(away.error)")
            let left = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".away.jsonl.partial-") }
            #expect(left.isEmpty, "\(left)")
        }
    }
}
