import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Testing

@Suite("Resuming an interrupted glossd export")
struct ExportResumeTests {
    @Test("--resume goes on after the last complete line: the same records as an uninterrupted export, the first snapshot's cursor, and --since from it returns what changed meanwhile")
    func resume() async throws {
        try await withTestDatabase { database in
            let words = Array(stride(from: 0, to: sampleDocument.text.count - 4, by: 4))
            let ids = try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                var ids: [AnnotationID] = []
                for round in 0..<20 {
                    for start in words {
                        let id = AnnotationID.random()
                        let seed = AnnotationSeed(
                            project: sampleDocument.project, document: sampleDocument.id, span: try sampleDocument.text.span(start: start, end: start + 3),
                            label: "L\(round)"
                        )
                        _ = try await store.perform(.create(seed), on: id, by: "ana")
                        ids.append(id)
                    }
                }
                return ids
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-resume-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let common = ["--database-url", database.url]
            let full = folder.appendingPathComponent("full.jsonl")
            #expect(try await GlossdCommandTests.run(["export", "--label", "L3", "--offsets", "utf8", "-o", full.path] + common).status == 0)
            let reference = try Data(contentsOf: full).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
            let records = reference.filter { $0.starts(with: Array(#"{"type":"annotation""#.utf8)) }
            #expect(records.count == words.count)

            // Interrupted after some records, in the middle of the next one.
            let cut = records.count / 2
            var partial = Data(reference[0]) + Data("\n".utf8)
            for record in records.prefix(cut) { partial += Data(record) + Data("\n".utf8) }
            partial += Data(records[cut].prefix(40))
            let output = folder.appendingPathComponent("out.jsonl")
            try partial.write(to: folder.appendingPathComponent(".out.jsonl.partial-99999"))

            // Meanwhile one annotation already written and one not yet written change.
            let header = try #require(try JSONSerialization.jsonObject(with: Data(reference[0])) as? [String: Any])
            let firstCursor = try #require(header["cursor"] as? String)
            let written = try #require(try JSONSerialization.jsonObject(with: Data(records[0])) as? [String: Any])["id"] as? String
            let pending = try #require(try JSONSerialization.jsonObject(with: Data(records[cut + 1])) as? [String: Any])["id"] as? String
            try await database.withStore(migrate: false) { store in
                for id in [written, pending] { _ = try await store.perform(.set(.note("changed")), on: try AnnotationID(try #require(id)), by: "ben") }
            }

            let resumed = try await GlossdCommandTests.run(["export", "--resume", "-o", output.path] + common)
            #expect(resumed.status == 0 && resumed.output.contains("resuming") && resumed.output.contains("after \(cut) annotations"), "\(resumed.output)")
            let lines = try Data(contentsOf: output).split(separator: UInt8(ascii: "\n"))
            let again = lines.filter { $0.starts(with: Array(#"{"type":"annotation""#.utf8)) }
            #expect(again.count == records.count)
            #expect(Array(again.prefix(cut)) == Array(records.prefix(cut)), "the records written before the interruption stay as they were")
            let ids2 = again.compactMap { (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["id"] as? String }
            #expect(ids2 == records.compactMap { (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any])?["id"] as? String })
            let last = try #require(lines.last)
            let end = try #require(try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any])
            #expect(end["type"] as? String == "end" && end["count"] as? Int == records.count && end["cursor"] as? String == firstCursor)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["full.jsonl", "out.jsonl"], "the partial file became the output")

            // The next increment, from the first snapshot's cursor, brings both changes.
            let next = folder.appendingPathComponent("next.jsonl")
            #expect(try await GlossdCommandTests.run(["export", "--since", firstCursor, "--label", "L3", "-o", next.path] + common).status == 0)
            let changed = try Data(contentsOf: next).split(separator: UInt8(ascii: "\n")).compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]).flatMap { $0["type"] as? String == "annotation" ? $0["id"] as? String : nil }
            }
            #expect(Set(changed) == Set([written, pending].compactMap { $0 }))
            #expect(ids.count == words.count * 20)

            // A partial file of another database (its header's cursor names another token) is refused and kept.
            let foreignHeader = String(decoding: reference[0], as: UTF8.self).replacingOccurrences(of: String(firstCursor.dropFirst(7).prefix(32)), with: String(repeating: "0", count: 32))
            let foreign = folder.appendingPathComponent(".other.jsonl.partial-99998")
            try Data((foreignHeader + "\n").utf8).write(to: foreign)
            let refused = try await GlossdCommandTests.run(["export", "--resume", "-o", folder.appendingPathComponent("other.jsonl").path] + common)
            #expect(refused.status == 65 && refused.output.contains("invalid-cursor"), "\(refused.output)")
            #expect(FileManager.default.fileExists(atPath: foreign.path), "the partial file stays")
            try FileManager.default.removeItem(at: foreign)

            let nothing = try await GlossdCommandTests.run(["export", "--resume", "-o", folder.appendingPathComponent("none.jsonl").path] + common)
            #expect(nothing.status == 64 && nothing.output.contains("no interrupted export"), "\(nothing.output)")
            let filtered = try await GlossdCommandTests.run(["export", "--resume", "--label", "x", "-o", output.path] + common)
            #expect(filtered.status == 64 && filtered.output.contains("takes the filter and offsets from the interrupted export's header"), "\(filtered.output)")
        }
    }
}
