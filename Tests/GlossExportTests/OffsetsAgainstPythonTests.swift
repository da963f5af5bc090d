import Foundation
import GlossCore
import GlossExport
import GlossTestSupport
import Testing

@Suite("Export offsets checked by Python's own slicing")
struct OffsetsAgainstPythonTests {
    /// Emoji (a ZWJ family, skin tones, a flag), combining marks, CJK, right-to-left text and CRLF line ends.
    static let text = DocumentText(
        "Family 👨‍👩‍👧‍👦 waves 👋🏽 at 🇯🇵.\r\nCafe\u{301} and crème brûlée\r\n東京と大阪 — 北京\r\nשלום עולם 😀 end\r\n"
    )

    @Test("For spans over every kind of character, code points, UTF-16 units and UTF-8 bytes slice Python's copies of the text to the quote")
    func everyUnitMatchesPython() throws {
        let quotes = ["👨‍👩‍👧‍👦", "👋🏽", "🇯🇵", "Cafe\u{301}", "crème brûlée", "brûlée\r\n東京", "東京と大阪", "北京", "שלום עולם", "😀 end\r\n", "Family"]
        let format = JSONLinesFormat(units: [.utf16, .utf8])
        let index = OffsetIndex(Self.text)
        var replica = Replica(id: try ReplicaID("site-a"))
        var lines: [UInt8] = []
        for (number, quote) in quotes.enumerated() {
            let id = AnnotationID(high: 9, low: UInt64(number))
            let seed = AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: try Self.text.span(quoting: quote), label: "X")
            try replica.perform(.create(seed), on: id, by: "ana", wallClockMilliseconds: 1)
            let view = try #require(replica.annotations[id]?.view)
            lines += format.record(ExportItem(view: view, documentTitle: "t", documentSHA256: Self.text.sha256, offsets: index))
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-offsets-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(Self.text.text.utf8).write(to: folder.appendingPathComponent("doc.txt"))
        try Data(lines).write(to: folder.appendingPathComponent("export.jsonl"))
        let run = try Python.run(
            """
            import json, sys
            text = open(sys.argv[1] + '/doc.txt', encoding='utf-8', newline='').read()
            utf16, utf8 = text.encode('utf-16-le'), text.encode('utf-8')
            results = []
            for line in open(sys.argv[1] + '/export.jsonl', encoding='utf-8'):
                a = json.loads(line)
                results.append([a['exact'],
                    text[a['start']:a['end']] == a['exact'],
                    utf16[2 * a['utf16']['start']:2 * a['utf16']['end']].decode('utf-16-le') == a['exact'],
                    utf8[a['utf8']['start']:a['utf8']['end']].decode('utf-8') == a['exact']])
            print(json.dumps(results, ensure_ascii=False))
            """, [folder.path]
        )
        #expect(run.status == 0, "\(run.error)")
        let results = try #require(try JSONSerialization.jsonObject(with: run.output) as? [[Any]])
        #expect(results.map { $0[0] as? String } == quotes)
        for result in results {
            #expect(result.dropFirst().allSatisfy { $0 as? Bool == true }, "code points, UTF-16, UTF-8 for \(result[0])")
        }
    }
}
