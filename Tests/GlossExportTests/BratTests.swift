import Foundation
import GlossCore
import GlossExport
import GlossTestSupport
import Testing

@Suite("Export formats: brat standoff")
struct BratTests {
    /// Reads a `.txt` and `.ann` with bratly (bratly.io's parser) and prints each entity's label,
    /// fragments, text and whether every fragment's text equals the document's slice, then notes and attributes.
    static let readScript = """
        import json, sys
        from bratly import EntityAnnotation, NoteAnnotation, AttributeAnnotation
        from bratly.io import parse_ann_file
        with open(sys.argv[1], encoding='utf-8', newline='') as f:
            text = f.read()
        with open(sys.argv[2], encoding='utf-8', newline='') as f:
            collection = parse_ann_file(f.read(), sys.argv[2], no_duplicates=False, sorting=False, renumerotize=False)
        out = {'entities': [], 'notes': [], 'attributes': []}
        for a in collection.annotations:
            if isinstance(a, EntityAnnotation):
                slices = [text[f.start:f.end] for f in a.fragments]
                out['entities'].append({'label': a.label, 'fragments': [[f.start, f.end] for f in a.fragments],
                    'content': a.content, 'matches': a.content == ' '.join(slices)})
            elif isinstance(a, NoteAnnotation):
                out['notes'].append(a.value)
            elif isinstance(a, AttributeAnnotation):
                out['attributes'].append(a.label)
        print(json.dumps(out))
        """

    static func read(text: String, ann: [UInt8]) throws -> [String: [Any]] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-brat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let (txtFile, annFile) = (folder.appendingPathComponent("doc.txt"), folder.appendingPathComponent("doc.ann"))
        try Data(text.utf8).write(to: txtFile)
        try Data(ann).write(to: annFile)
        let run = try Python.run(readScript, [txtFile.path, annFile.path])
        #expect(run.status == 0, "bratly: \(run.error)")
        return try #require(try JSONSerialization.jsonObject(with: run.output) as? [String: [Any]])
    }

    @Test("bratly reads the .ann: a span across CRLF becomes fragments whose text equals the document's slices; hostile label, note and tags stay inert")
    func readByBratly() throws {
        let hostile = try FormatTests.item(units: [])
        let plain = try FormatTests.labelled("a note")
        var format = BratFormat()
        let ann = format.annotations([plain, hostile])
        let found = try Self.read(text: FormatTests.text.text, ann: ann)
        let entities = try #require(found["entities"] as? [[String: Any]])
        #expect(entities.count == 2)
        #expect(entities.allSatisfy { $0["matches"] as? Bool == true }, "\(entities)")
        let span = hostile.view.span.value
        // "東京\r\nand": cut around CR and LF.
        #expect(entities[1]["fragments"] as? [[Int]] == [[span.start, span.start + 2], [span.start + 4, span.end]])
        #expect(entities[1]["content"] as? String == "東京 and")
        let label = hostile.view.label.value
        #expect(entities[1]["label"] as? String == BratNaming.mapped(label) && entities[0]["label"] as? String == "L")
        let notes = try #require(found["notes"] as? [String])
        #expect(notes == ["a note", "=1+2 <script>alert(\"x\")</script>\\t\\r\\n\u{202E}evil\\u0001"], "line breaks, tabs and control characters escaped, the rest intact")
        let attributes = try #require(found["attributes"] as? [String])
        #expect(attributes == ["Review", "tag--x", "tag-_y", "Review"])
        let configuration = String(decoding: format.configuration(), as: UTF8.self)
        #expect(configuration.contains("[entities]\nL\n\(BratNaming.mapped(label))\n"))
        #expect(configuration.contains("#   \(label) -> \(BratNaming.mapped(label))\n") || label == BratNaming.mapped(label))
        #expect(configuration.contains("#   @y -> tag-_y\n") && configuration.contains("tag--x\tArg:<ENTITY>\n"))
        #expect(!configuration.contains("\r"), "an escaped original never breaks a comment line")
    }

    @Test("A span of only line breaks is left out and listed in annotation.conf; names brat cannot hold are mapped, and clashes numbered")
    func edges() throws {
        var naming = BratNaming()
        #expect(naming.entityType(for: "PER SON") == "PER_SON")
        #expect(naming.entityType(for: "PER/SON") == "PER_SON-2")
        #expect(naming.entityType(for: "Ort") == "Ort" && naming.entityType(for: "東京") == "東京")
        #expect(naming.entityType(for: "") == "unlabelled" && naming.entityType(for: "Review") == "Review-2")
        #expect(naming.changed.map { $0.name } == ["PER_SON", "PER_SON-2", "unlabelled", "Review-2"])
        let text = DocumentText("a\n\nb")
        let breaks = try text.span(start: 1, end: 3)
        #expect(BratFormat.fragments(of: breaks).isEmpty)
        var format = BratFormat()
        let kept = try FormatTests.labelled("bell\u{7} esc\u{1B}[31m del\u{7F} c1\u{9B}")
        var replica = Replica(id: try ReplicaID("site-a"))
        let id = AnnotationID(high: 5, low: 6)
        try replica.perform(
            .create(AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc"), span: breaks, label: "L")), on: id, by: "ana", wallClockMilliseconds: 1
        )
        let only = ExportItem(view: try #require(replica.annotations[id]?.view), documentTitle: "", documentSHA256: text.sha256, offsets: nil)
        let ann = String(decoding: format.annotations([only, kept]), as: UTF8.self)
        #expect(ann.hasPrefix("T2\t") && !ann.contains("T1\t"), "the span of line breaks has no entity; numbers stay by position: \(ann)")
        #expect(format.leftOut == ["\(only.view.project)/\(only.view.document) \(only.view.id) [1, 3)"])
        let configuration = String(decoding: format.configuration(), as: UTF8.self)
        #expect(configuration.contains("# Annotations left out: their spans hold only line breaks or tabs") && configuration.contains("#   \(format.leftOut[0])\n"))
        #expect(ann.contains("AnnotatorNotes T2\tbell\\u0007 esc\\u001b[31m del\\u007f c1\\u009b\n"), "control characters escaped: \(ann)")
    }

    @Test("Tar entries are ustar; a long path goes in a pax header; Python's tarfile reads both back")
    func tar() throws {
        let long = "news/" + String(repeating: "d", count: 120) + ".ann"
        let bytes = TarArchive.entry(path: "news/a.txt", contents: Array("héllo".utf8), modifiedSeconds: 1_764_700_000)
            + TarArchive.entry(path: long, contents: Array("T1\tX 0 1\th\n".utf8), modifiedSeconds: 1_764_700_000) + TarArchive.end
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-\(UUID().uuidString).tar")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Python.run(
            "import json, sys, tarfile\nt = tarfile.open(sys.argv[1])\nprint(json.dumps([[m.name, t.extractfile(m).read().decode()] for m in t.getmembers()]))",
            [file.path]
        )
        #expect(run.status == 0, "\(run.error)")
        let members = try #require(try JSONSerialization.jsonObject(with: run.output) as? [[String]])
        #expect(members == [["news/a.txt", "héllo"], [long, "T1\tX 0 1\th\n"]])
    }
}
