import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Testing

/// One hostile annotation stored for real, exported by glossd in every format, and
/// read back by each format's outside reader: every value intact, nothing executable.
@Suite("A hostile annotation in every export format")
struct HostileExportTests {
    static let hostile = "=1+2 <script>alert('x')</script>\"\t\r\n\u{202E}evil&amp;"
    static let title = "<img src=x onerror=alert(1)> =HYPERLINK(\"x\")"

    @Test("JSON Lines, W3C, CSV, brat and HTML each carry the hostile label, note and tags intact and inert")
    func everyFormat() async throws {
        try await withTestDatabase { database in
            let text = "Hostile text: \(Self.hostile) ends here.\r\n"
            let document = try Document(id: DocumentID("hostile"), project: ProjectID("news"), title: Self.title, text: text)
            try await database.withStore { store in
                try await store.putDocument(document)
                let seed = AnnotationSeed(
                    project: document.project, document: document.id, span: try document.text.span(quoting: Self.hostile), label: Self.hostile,
                    note: Self.hostile, tags: ["<b>", "=cmd", "@x"]
                )
                _ = try await store.perform(.create(seed), on: AnnotationID.random(), by: "ana")
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-hostile-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            for (format, name) in [("jsonl", "a.jsonl"), ("w3c", "a.jsonld"), ("csv", "a.csv"), ("brat", "a.tar"), ("html", "a.html")] {
                let run = try await GlossdCommandTests.run(["export", "--database-url", database.url, "--format", format, "-o", folder.appendingPathComponent(name).path])
                #expect(run.status == 0, "\(format): \(run.output)")
            }
            let dom = try Chromium.run(folder.appendingPathComponent("a.html"), ["--dump-dom"])
            try dom.output.write(to: folder.appendingPathComponent("dom.html"))
            let read = try Python.run(
                """
                import csv, json, sys, tarfile
                from html.parser import HTMLParser
                from bratly import EntityAnnotation, NoteAnnotation
                from bratly.io import parse_ann_file
                folder = sys.argv[1]
                out = {}
                a = [json.loads(l) for l in open(folder + '/a.jsonl', encoding='utf-8')][1]
                out['jsonl'] = [a['label'], a['note'], a['exact'], a['tags']]
                w = json.load(open(folder + '/a.jsonld', encoding='utf-8'))['@graph'][0]['items'][0]
                out['w3c'] = [[b['purpose'], b['value']] for b in w['body']] + [[w['target']['source']['label'], w['target']['selector'][0]['exact']]]
                r = list(csv.DictReader(open(folder + '/a.csv', newline='', encoding='utf-8')))[0]
                out['csv'] = [r['label'], r['note'], r['document_title'], r['tags']]
                t = tarfile.open(folder + '/a.tar')
                files = {m.name: t.extractfile(m).read().decode('utf-8') for m in t.getmembers()}
                txt = files['news/hostile.txt']
                anns = parse_ann_file(files['news/hostile.ann'], 'x', False, False, False).annotations
                entity = [x for x in anns if isinstance(x, EntityAnnotation)][0]
                note = [x for x in anns if isinstance(x, NoteAnnotation)][0]
                unescaped = note.value.replace('\\\\t', '\\t').replace('\\\\r', '\\r').replace('\\\\n', '\\n').replace('\\\\\\\\', '\\\\')
                out['brat'] = [txt, entity.content == ' '.join(txt[f.start:f.end] for f in entity.fragments), unescaped, files['annotation.conf'].count('\\r')]
                class Reader(HTMLParser):
                    def __init__(self):
                        super().__init__(convert_charrefs=True)
                        self.tags, self.stack, self.notes, self.titles = [], [], [], []
                    def handle_starttag(self, tag, attrs):
                        self.tags.append(tag)
                        self.stack.append((tag, dict(attrs).get('class')))
                        if self.stack[-1][1] == 'note': self.notes.append('')
                        if tag == 'h2': self.titles.append('')
                    def handle_endtag(self, tag):
                        while self.stack:
                            if self.stack.pop()[0] == tag: break
                    def handle_data(self, data):
                        if any(c == 'note' for _, c in self.stack): self.notes[-1] += data
                        if any(t == 'h2' for t, _ in self.stack): self.titles[-1] += data
                h = Reader()
                h.feed(open(folder + '/dom.html', encoding='utf-8', newline='').read())
                out['html'] = [h.notes, h.titles, 'script' in h.tags, 'img' in h.tags]
                print(json.dumps(out))
                """, [folder.path]
            )
            #expect(read.status == 0, "\(read.error)")
            let found = try #require(try JSONSerialization.jsonObject(with: read.output) as? [String: [Any]])
            let hostile = Self.hostile
            #expect(found["jsonl"]?[0] as? String == hostile && found["jsonl"]?[1] as? String == hostile && found["jsonl"]?[2] as? String == hostile)
            #expect(found["jsonl"]?[3] as? [String] == ["<b>", "=cmd", "@x"])
            let bodies = try #require(found["w3c"] as? [[String]])
            #expect(bodies.contains(["classifying", hostile]) && bodies.contains(["commenting", hostile]) && bodies.contains(["tagging", "=cmd"]))
            #expect(bodies.last == [Self.title, hostile])
            #expect(found["csv"] as? [String] == ["'" + hostile, "'" + hostile, Self.title, "<b> =cmd @x"], "formula cells neutralised, the rest intact")
            #expect(found["brat"]?[0] as? String == text && found["brat"]?[1] as? Bool == true)
            #expect(found["brat"]?[2] as? String == hostile && found["brat"]?[3] as? Int == 0, "the note escaped on one line, recoverable")
            #expect(found["html"]?[0] as? [String] == [hostile] && found["html"]?[1] as? [String] == [Self.title])
            #expect(found["html"]?[2] as? Bool == false && found["html"]?[3] as? Bool == false, "no script or img element came from the data")
        }
    }
}
