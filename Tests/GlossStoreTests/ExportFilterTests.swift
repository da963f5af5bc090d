import Foundation
import GlossCore
import GlossExport
import GlossStore
import GlossTestSupport
import Testing

@Suite("glossd export's time and conflict filters")
struct ExportFilterTests {
    static func ids(_ output: String) -> Set<String> {
        Set(
            output.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]).flatMap { $0["type"] as? String == "annotation" ? $0["id"] as? String : nil }
            }
        )
    }

    @Test("--changed-after keeps what changed after the time (RFC 3339, any offset), --conflicted what holds a conflict; both are kept in the header for --resume; a bad time is a usage error")
    func timeAndConflicts() async throws {
        try await withTestDatabase { database in
            let (early, late, conflicted) = (AnnotationID.random(), AnnotationID.random(), AnnotationID.random())
            let base: UInt64 = 1_780_000_000_000
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                var ana = Replica(id: try ReplicaID("site-ana"))
                var ben = Replica(id: try ReplicaID("site-ben"))
                func seed(_ start: Int) throws -> AnnotationSeed {
                    AnnotationSeed(project: sampleDocument.project, document: sampleDocument.id, span: try sampleDocument.text.span(start: start, end: start + 5), label: "L")
                }
                let first = try ana.perform(.create(try seed(0)), on: early, by: "ana", wallClockMilliseconds: base)
                let second = try ana.perform(.create(try seed(10)), on: late, by: "ana", wallClockMilliseconds: base + 60_000)
                let third = try ana.perform(.create(try seed(20)), on: conflicted, by: "ana", wallClockMilliseconds: base + 60_000)
                try ben.receive(third, wallClockMilliseconds: base + 60_000)
                // Both sites relabel it without having seen the other's write: a conflict.
                let fromAna = try ana.perform(.set(.label("PERSON")), on: conflicted, by: "ana", wallClockMilliseconds: base + 61_000)
                let fromBen = try ben.perform(.set(.label("PLACE")), on: conflicted, by: "ben", wallClockMilliseconds: base + 61_000)
                _ = try await store.apply([first, second, third, fromAna, fromBen])
            }
            let common = ["export", "--database-url", database.url]
            let middle = HLCTimestamp(milliseconds: base + 30_000, logical: 0).iso8601
            let after = try await GlossdCommandTests.run(common + ["--changed-after", middle])
            #expect(after.status == 0 && Self.ids(after.output) == [late.description, conflicted.description], "\(after.output)")
            // The same instant written with an offset and without fractional seconds; and one before every change.
            let formatter = ISO8601DateFormatter()
            formatter.timeZone = TimeZone(secondsFromGMT: 7_200)
            let shifted = formatter.string(from: Date(timeIntervalSince1970: Double(base + 30_000) / 1000))
            #expect(shifted.hasSuffix("+02:00"))
            let offset = try await GlossdCommandTests.run(common + ["--changed-after", shifted])
            #expect(offset.status == 0 && Self.ids(offset.output) == [late.description, conflicted.description], "\(shifted): \(offset.output)")
            let before = formatter.string(from: Date(timeIntervalSince1970: Double(base - 1_000) / 1000))
            #expect(Self.ids(try await GlossdCommandTests.run(common + ["--changed-after", before]).output).count == 3)
            let onlyConflicts = try await GlossdCommandTests.run(common + ["--conflicted"])
            #expect(onlyConflicts.status == 0 && Self.ids(onlyConflicts.output) == [conflicted.description], "\(onlyConflicts.output)")
            #expect(onlyConflicts.output.contains(#""conflicted":"true""#), "the header records the filter for --resume")
            #expect(after.output.contains(#""changed_after":"\#(middle)""#), "\(after.output)")

            for bad in ["yesterday", "2026-13-01T00:00:00Z", "1960-01-01T00:00:00Z", ""] {
                let refused = try await GlossdCommandTests.run(common + ["--changed-after", bad])
                #expect(refused.status == 64 && refused.output.contains("--changed-after takes an RFC 3339 time"), "\(bad): \(refused.output)")
            }
        }
    }
}
