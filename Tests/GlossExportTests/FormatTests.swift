import Foundation
import GlossCore
import GlossExport
import Testing

@Suite("Export formats: JSON Lines and CSV")
struct FormatTests {
    static let hostile = "=1+2 <script>alert(\"x\")</script>\t\r\n\u{202E}evil\u{1}"
    static let text = DocumentText("Tokyo 👨🏻‍🚒 met é\u{301} 東京\r\nand \(hostile) end")

    /// A document's annotation with a hostile label, note and tags, and a label conflict between two sites.
    static func item(units: OffsetUnits = [.utf16, .utf8]) throws -> ExportItem {
        var ana = Replica(id: try ReplicaID("site-a"))
        var ben = Replica(id: try ReplicaID("site-b"))
        let id = AnnotationID(high: 1, low: 2)
        let span = try text.span(quoting: "東京\r\nand")
        let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc"), span: span, label: hostile, note: hostile, tags: ["-x", "@y"])
        let create = try ana.perform(.create(seed), on: id, by: "ana", wallClockMilliseconds: 1_764_700_000_000)
        _ = try ben.receive(create, wallClockMilliseconds: 1_764_700_000_001)
        let mine = try ana.perform(.set(.label("PLACE")), on: id, by: "ana", wallClockMilliseconds: 1_764_700_000_002)
        let theirs = try ben.perform(.set(.label("=ORG")), on: id, by: "ben", wallClockMilliseconds: 1_764_700_000_003)
        _ = try ana.receive(theirs, wallClockMilliseconds: 1_764_700_000_004)
        _ = mine
        let view = try #require(ana.annotations[id]?.view)
        return ExportItem(view: view, documentTitle: "=HYPERLINK(\"x\")", documentSHA256: text.sha256, offsets: units.isEmpty ? nil : OffsetIndex(text))
    }

    @Test("A JSON Lines record carries every field, conflicts and offsets in three units, and parses back intact")
    func jsonLines() throws {
        let item = try Self.item()
        let format = JSONLinesFormat(units: [.utf16, .utf8])
        let line = format.record(item)
        #expect(line.last == UInt8(ascii: "\n") && line.dropLast().allSatisfy { $0 != UInt8(ascii: "\n") })
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any])
        #expect(object["type"] as? String == "annotation")
        #expect(object["id"] as? String == item.view.id.description)
        #expect(object["note"] as? String == Self.hostile)
        let span = item.view.span.value
        #expect(object["start"] as? Int == span.start && object["end"] as? Int == span.end)
        let prefix = String(String.UnicodeScalarView(Self.text.scalars[..<span.start]))
        let covered = String(String.UnicodeScalarView(Self.text.scalars[span.start..<span.end]))
        #expect((object["utf16"] as? [String: Int]) == ["start": prefix.utf16.count, "end": prefix.utf16.count + covered.utf16.count])
        #expect((object["utf8"] as? [String: Int]) == ["start": prefix.utf8.count, "end": prefix.utf8.count + covered.utf8.count])
        #expect(object["exact"] as? String == covered)
        let conflicts = try #require(object["conflicts"] as? [[String: Any]])
        #expect(conflicts.count == 1 && conflicts[0]["field"] as? String == "label")
        #expect(Set([object["label"] as? String, conflicts[0]["value"] as? String]) == ["PLACE", "=ORG"])
        #expect(object["tags"] as? [String] == ["-x", "@y"])
        #expect((object["review"] as? [String: String]) == ["status": "open", "comment": ""])
        #expect(object["deleted"] as? Bool == false)
        #expect(object["created"] as? String == "2025-12-02T18:26:40.000Z")
        #expect(format.record(item) == line, "the same annotation gives the same bytes")
        let end = try #require(try JSONSerialization.jsonObject(with: Data(format.end(count: 1, cursor: "c"))) as? [String: Any])
        #expect(end["type"] as? String == "end" && end["count"] as? Int == 1 && end["cursor"] as? String == "c")
    }

    @Test("CSV is RFC 4180 with formula cells neutralised, read back by Python's csv module with every value intact")
    func csv() throws {
        let item = try Self.item()
        let format = CSVFormat(units: [.utf16, .utf8])
        let bytes = format.header() + (try format.record(item))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-format-\(UUID().uuidString).csv")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = """
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='utf-8') as f:
                rows = list(csv.DictReader(f))
            print(json.dumps(rows))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let rows = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: String]])
        #expect(rows.count == 1)
        let row = rows[0]
        #expect(row["note"] == "'" + Self.hostile, "a cell starting with = is neutralised, the rest intact")
        #expect(row["document_title"] == "'=HYPERLINK(\"x\")")
        #expect(row["tags"] == "'-x @y")
        #expect(row["exact"] == item.view.span.value.quote)
        #expect(row["start"] == String(item.view.span.value.start))
        #expect(row["conflicted_fields"] == "label")
        #expect(row["deleted"] == "false")
        #expect(Set(row.keys) == Set(format.columns))
        for (index, name) in format.columns.enumerated() where name.hasPrefix("utf") {
            #expect(row[name] != nil && Int(row[name]!) != nil, "column \(index) \(name)")
        }
    }

    @Test("Each formula start is neutralised, and NUL is refused naming the column")
    func neutralising() throws {
        for start in ["=", "+", "-", "@", "\t", "\r", "\n"] {
            let bytes = try CSVFormat().record(try Self.labelled(start + "SUM(A1)"))
            #expect(String(decoding: bytes, as: UTF8.self).contains("\"'\(start)SUM(A1)\""), "start \(Excerpt.of(start))")
        }
        // The core refuses NUL in every field it stores; a title from elsewhere is refused by the format itself.
        let plain = try Self.labelled("fine")
        let titled = ExportItem(view: plain.view, documentTitle: "a\u{0}b", documentSHA256: plain.documentSHA256, offsets: nil)
        #expect { try CSVFormat().record(titled) } throws: { "\($0)".contains("document_title holds NUL") }
    }

    static func labelled(_ label: String) throws -> ExportItem {
        var replica = Replica(id: try ReplicaID("site-a"))
        let id = AnnotationID(high: 3, low: 4)
        let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc"), span: try text.span(quoting: "Tokyo"), label: "L")
        try replica.perform(.create(seed), on: id, by: "ana", wallClockMilliseconds: 1)
        try replica.perform(.set(.note(label)), on: id, by: "ana", wallClockMilliseconds: 2)
        return ExportItem(view: try #require(replica.annotations[id]?.view), documentTitle: "t", documentSHA256: text.sha256, offsets: nil)
    }
}
