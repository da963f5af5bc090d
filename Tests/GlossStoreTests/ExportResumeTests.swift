import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Testing

@Suite("Resuming an interrupted glossd export")
struct ExportResumeTests {
    @Test("--resume goes on after the last complete line with the first snapshot's records, each annotation once (one moved past the resume point is not written twice), its cursor, and --since from it returns what changed meanwhile")
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

            // Meanwhile an annotation already written moves past the resume point, and one not yet written changes.
            let header = try #require(try JSONSerialization.jsonObject(with: Data(reference[0])) as? [String: Any])
            let firstCursor = try #require(header["cursor"] as? String)
            func id(_ record: Data.SubSequence) throws -> String {
                let object = try JSONSerialization.jsonObject(with: Data(record)) as? [String: Any]
                return try #require(object?["id"] as? String)
            }
            let (moved, pending) = (try id(records[0]), try id(records[cut + 1]))
            let end = try #require(words.last)
            try await database.withStore(migrate: false) { store in
                _ = try await store.perform(.set(.span(try sampleDocument.text.span(start: end, end: end + 3))), on: try AnnotationID(moved), by: "ben")
                _ = try await store.perform(.set(.note("changed")), on: try AnnotationID(pending), by: "ben")
            }

            let resumed = try await GlossdCommandTests.run(["export", "--resume", "-o", output.path] + common)
            #expect(resumed.status == 0 && resumed.output.contains("resuming") && resumed.output.contains("after \(cut) annotations"), "\(resumed.output)")
            let lines = try Data(contentsOf: output).split(separator: UInt8(ascii: "\n"))
            let again = lines.filter { $0.starts(with: Array(#"{"type":"annotation""#.utf8)) }
            #expect(Array(again.prefix(cut)) == Array(records.prefix(cut)), "the records written before the interruption stay as they were")
            // Every line is its annotation's state in the first snapshot, each annotation once: the changed
            // one not yet written is left out (the cursor delivers it), the moved one is not written again.
            #expect(again == records.filter { (try? id($0)) != pending })
            let last = try #require(lines.last)
            let endLine = try #require(try JSONSerialization.jsonObject(with: Data(last)) as? [String: Any])
            #expect(endLine["type"] as? String == "end" && endLine["count"] as? Int == records.count - 1 && endLine["cursor"] as? String == firstCursor)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["full.jsonl", "out.jsonl"], "the partial file became the output")

            // The next increment, from the first snapshot's cursor, brings both changes.
            let next = folder.appendingPathComponent("next.jsonl")
            #expect(try await GlossdCommandTests.run(["export", "--since", firstCursor, "--label", "L3", "-o", next.path] + common).status == 0)
            let changed = try Data(contentsOf: next).split(separator: UInt8(ascii: "\n")).compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0)) as? [String: Any]).flatMap { $0["type"] as? String == "annotation" ? $0["id"] as? String : nil }
            }
            #expect(Set(changed) == [moved, pending])
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
