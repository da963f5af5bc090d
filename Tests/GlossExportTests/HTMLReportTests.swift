import Foundation
import GlossCore
import GlossExport
import GlossTestSupport
import Testing

@Suite("Export formats: the HTML review report")
struct HTMLReportTests {
    /// Reads the DOM Chromium dumped: each annotation's highlighted text (its pieces joined),
    /// every script element, and the text of the list's notes.
    static let readDOM = """
        import json, sys
        from html.parser import HTMLParser
        class Reader(HTMLParser):
            def __init__(self):
                super().__init__(convert_charrefs=True)
                self.stack, self.spans, self.scripts, self.notes, self.in_note = [], {}, 0, [], 0
            def handle_starttag(self, tag, attrs):
                attrs = dict(attrs)
                if tag == 'script': self.scripts += 1
                ids = attrs.get('data-annotations', '').split()
                self.stack.append((tag, ids, attrs.get('class') == 'note'))
                if self.stack[-1][2]: self.notes.append('')
            def handle_endtag(self, tag):
                while self.stack:
                    if self.stack.pop()[0] == tag: break
            def handle_data(self, data):
                for _, ids, _ in self.stack:
                    for i in ids: self.spans[i] = self.spans.get(i, '') + data
                if any(note for _, _, note in self.stack): self.notes[-1] += data
        r = Reader()
        r.feed(open(sys.argv[1], encoding='utf-8', newline='').read())
        print(json.dumps({'spans': r.spans, 'scripts': r.scripts, 'notes': r.notes}))
        """

    @Test("Headless Chromium renders the report; in its DOM each highlighted span's text equals the quote, overlaps included, and the hostile note is inert text")
    func renderedByChromium() throws {
        let text = FormatTests.text
        var replica = Replica(id: try ReplicaID("site-a"))
        var items = [try FormatTests.item(units: [])]
        // Three spans overlapping the hostile one's "東京\r\nand".
        for (number, quote) in ["met é\u{301} 東京", "東京", "and =1+2"].enumerated() {
            let id = AnnotationID(high: 7, low: UInt64(number))
            let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc"), span: try text.span(quoting: quote), label: "L\(number)")
            try replica.perform(.create(seed), on: id, by: "ana", wallClockMilliseconds: 1)
            items.append(ExportItem(view: try #require(replica.annotations[id]?.view), documentTitle: "t", documentSHA256: text.sha256, offsets: nil))
        }
        items.sort { $0.view.span.value.start < $1.view.span.value.start }
        let format = HTMLReportFormat()
        let key = DocumentKey(project: try ProjectID("news"), document: try DocumentID("doc"))
        let page = format.header(generated: HLCTimestamp(milliseconds: 1_764_700_000_000, logical: 0))
            + format.document(items, text: text, key: key, title: "<script>alert(1)</script>") + format.end(count: items.count, cursor: "gloss1-x")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report.html")
        try Data(page).write(to: report)

        let dom = try Chromium.run(report, ["--dump-dom"])
        #expect(dom.status == 0 && !dom.output.isEmpty, "chromium --dump-dom")
        let domFile = folder.appendingPathComponent("dom.html")
        try dom.output.write(to: domFile)
        let read = try Python.run(Self.readDOM, [domFile.path])
        #expect(read.status == 0, "\(read.error)")
        let found = try #require(try JSONSerialization.jsonObject(with: read.output) as? [String: Any])
        let spans = try #require(found["spans"] as? [String: String])
        #expect(spans.count == items.count)
        for item in items {
            #expect(spans["\(item.view.id)"] == item.view.span.value.quote, "the highlighted text of \(item.view.span.value.quote)")
        }
        #expect(found["scripts"] as? Int == 0, "no script element, whatever the data held")
        #expect((found["notes"] as? [String])?.contains(FormatTests.hostile) == true, "the hostile note is shown as text, intact")

        let screenshot = folder.appendingPathComponent("report.png")
        let shot = try Chromium.run(report, ["--screenshot=\(screenshot.path)", "--window-size=1280,1600"])
        let png = try Data(contentsOf: screenshot)
        #expect(shot.status == 0 && png.count > 10_000 && png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a screenshot of the rendered report")
    }

    @Test("A label of 200 and a note of 3,000 characters without a space wrap inside an 800-pixel window, and a note's line breaks stay line breaks")
    func longWordsWrap() throws {
        let text = DocumentText("Kishida met Biden in Washington.")
        var replica = Replica(id: try ReplicaID("site-a"))
        let id = AnnotationID(high: 8, low: 1)
        let (long, note) = (String(repeating: "W", count: 200), "first line\nsecond line\n" + String(repeating: "n", count: 3_000))
        let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc"), span: try text.span(quoting: "Kishida"), label: long, note: note)
        try replica.perform(.create(seed), on: id, by: "ana", wallClockMilliseconds: 1)
        let item = ExportItem(view: try #require(replica.annotations[id]?.view), documentTitle: long, documentSHA256: text.sha256, offsets: nil)
        let format = HTMLReportFormat()
        let key = DocumentKey(project: try ProjectID("news"), document: try DocumentID("doc"))
        var page = String(
            decoding: format.header(generated: HLCTimestamp(milliseconds: 1, logical: 0)) + format.document([item], text: text, key: key, title: long)
                + format.end(count: 1, cursor: "gloss1-x"),
            as: UTF8.self
        )
        // The test's copy measures the laid-out page with a script (the report itself forbids scripts).
        page = page.replacingOccurrences(of: "default-src 'none'; style-src 'unsafe-inline'", with: "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'")
        let measure = """
            <script>
            const note = document.querySelector('.note');
            document.body.setAttribute('data-measured', JSON.stringify({
              wide: document.documentElement.scrollWidth, window: window.innerWidth,
              lines: Math.round(note.getBoundingClientRect().height / parseFloat(getComputedStyle(note).lineHeight)),
              breaks: getComputedStyle(note).whiteSpace }));
            </script>
            """
        page = page.replacingOccurrences(of: "</body>", with: measure + "</body>")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report.html")
        try Data(page.utf8).write(to: report)
        let dom = try Chromium.run(report, ["--dump-dom", "--window-size=800,600"])
        let html = String(decoding: dom.output, as: UTF8.self)
        #expect(dom.status == 0)
        let attribute = try #require(html.range(of: "data-measured=\"").map { html[$0.upperBound...].prefix { $0 != "\"" } })
        let measured = try #require(
            try JSONSerialization.jsonObject(with: Data(String(attribute).replacingOccurrences(of: "&quot;", with: "\"").utf8)) as? [String: Any]
        )
        let (wide, window) = (try #require(measured["wide"] as? Int), try #require(measured["window"] as? Int))
        #expect(wide <= window, "the page is no wider than the window: \(measured)")
        #expect(measured["breaks"] as? String == "pre-wrap" && (measured["lines"] as? Int ?? 0) >= 3, "the note keeps its line breaks: \(measured)")
    }
}
