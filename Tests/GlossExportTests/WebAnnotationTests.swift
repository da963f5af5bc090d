import Foundation
import GlossCore
import GlossExport
import GlossTestSupport
import Testing

@Suite("Export formats: W3C Web Annotation JSON-LD")
struct WebAnnotationTests {
    /// Expands a W3C export with pyld (the context from the bundled copy, no network) and
    /// prints, for each annotation and the collection, what a JSON-LD consumer reads in it.
    static let expandScript = """
        import json, sys
        from pyld import jsonld
        OA, AS, DC, RDF = 'http://www.w3.org/ns/oa#', 'http://www.w3.org/ns/activitystreams#', 'http://purl.org/dc/terms/', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'
        with open(sys.argv[2], encoding='utf-8') as f:
            context = json.load(f)
        def loader(url, options=None):
            if url != 'http://www.w3.org/ns/anno.jsonld':
                raise RuntimeError('no network: ' + url)
            return {'contentType': 'application/ld+json', 'contextUrl': None, 'documentUrl': url, 'document': context}
        with open(sys.argv[1], encoding='utf-8') as f:
            document = json.load(f)
        nodes = jsonld.expand(document, {'documentLoader': loader})
        def value(node, key):
            return node[key][0].get('@value', node[key][0].get('@id')) if key in node else None
        found = {'annotations': [], 'pages': [], 'collections': []}
        def walk(node):
            if isinstance(node, list):
                for item in node: walk(item)
                return
            if not isinstance(node, dict): return
            types = node.get('@type', [])
            if OA + 'Annotation' in types:
                target = node[OA + 'hasTarget'][0]
                selectors = {s['@type'][0]: s for s in target[OA + 'hasSelector']}
                quote, position = selectors[OA + 'TextQuoteSelector'], selectors[OA + 'TextPositionSelector']
                source = target[OA + 'hasSource'][0]
                found['annotations'].append({
                    'id': node['@id'], 'exact': value(quote, OA + 'exact'), 'prefix': value(quote, OA + 'prefix'),
                    'suffix': value(quote, OA + 'suffix'), 'start': value(position, OA + 'start'), 'end': value(position, OA + 'end'),
                    'source': source['@id'], 'title': value(source, 'http://www.w3.org/2000/01/rdf-schema#label'),
                    'bodies': [[value(b, OA + 'hasPurpose').replace(OA, 'oa:'), value(b, RDF + 'value')] for b in node.get(OA + 'hasBody', [])],
                    'creator': value(node[DC + 'creator'][0], 'http://xmlns.com/foaf/0.1/name'),
                    'created': value(node, DC + 'created'), 'status': value(node, 'urn:gloss:reviewStatus'),
                    'deleted': value(node, 'urn:gloss:deleted')})
            # The context maps AnnotationPage and AnnotationCollection to Activity Streams' ordered collections.
            if AS + 'OrderedCollectionPage' in types:
                found['pages'].append({'id': node['@id'], 'start': value(node, AS + 'startIndex'), 'next': value(node, AS + 'next'),
                    'count': len(node[AS + 'items'][0]['@list'])})
            if AS + 'OrderedCollection' in types:
                found['collections'].append({'total': value(node, AS + 'totalItems'), 'first': value(node, AS + 'first'),
                    'last': value(node, AS + 'last'), 'cursor': value(node, 'urn:gloss:cursor')})
            for key, item in node.items():
                if not key.startswith('@') or key == '@list' or key == '@graph': walk(item)
        walk(nodes)
        print(json.dumps(found))
        """

    /// Runs the export of `items` in pages of `pageSize` through pyld; returns what it read.
    static func expanded(_ items: [ExportItem], pageSize: Int) throws -> [String: [[String: Any]]] {
        var format = WebAnnotationFormat(pageSize: pageSize)
        var bytes = format.header()
        for item in items { bytes += format.record(item) }
        bytes += format.end(exportedAt: HLCTimestamp(milliseconds: 1_764_700_000_000, logical: 0), cursor: "gloss1-test")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-w3c-\(UUID().uuidString).jsonld")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try Python.run(expandScript, [file.path, Python.annotationContextFile])
        #expect(run.status == 0, "pyld: \(run.error) \(String(decoding: bytes.prefix(600), as: UTF8.self))")
        return try #require(try JSONSerialization.jsonObject(with: run.output) as? [String: [[String: Any]]])
    }

    @Test("pyld expands the export offline: pages, the collection, selectors, bodies and the hostile values intact")
    func expandsWithPyld() throws {
        let hostile = try FormatTests.item(units: [])
        let plain = try FormatTests.labelled("a note")
        let found = try Self.expanded([hostile, plain, hostile], pageSize: 2)
        let annotations = try #require(found["annotations"])
        #expect(annotations.count == 3)
        let first = annotations[0]
        let span = hostile.view.span.value
        #expect(first["id"] as? String == "urn:uuid:\(hostile.view.id)")
        #expect(first["exact"] as? String == span.quote && first["prefix"] as? String == span.prefix && first["suffix"] as? String == span.suffix)
        #expect(first["start"] as? Int == span.start && first["end"] as? Int == span.end)
        #expect(first["source"] as? String == "urn:gloss:document:news/doc" && first["title"] as? String == "=HYPERLINK(\"x\")")
        let bodies = try #require(first["bodies"] as? [[String]])
        #expect(bodies.contains(["oa:classifying", hostile.view.label.value]))
        #expect(bodies.contains(["oa:commenting", FormatTests.hostile]), "the hostile note, intact")
        #expect(bodies.contains(["oa:tagging", "-x"]) && bodies.contains(["oa:tagging", "@y"]))
        #expect(first["creator"] as? String == "ana" && first["created"] as? String == "2025-12-02T18:26:40.000Z")
        #expect(first["status"] as? String == "open")
        #expect(first["deleted"] is NSNull)
        let pages = try #require(found["pages"])
        #expect(pages.map { $0["count"] as? Int } == [2, 1] && pages.map { $0["start"] as? Int } == [0, 2])
        #expect(pages[0]["next"] as? String == pages[1]["id"] as? String)
        let collection = try #require(found["collections"]?.first)
        #expect(collection["total"] as? Int == 3 && collection["cursor"] as? String == "gloss1-test")
        #expect(collection["first"] as? String == pages[0]["id"] as? String && collection["last"] as? String == pages[1]["id"] as? String)
    }

    @Test("An empty export is a collection of no annotations, and the same annotations give the same bytes")
    func emptyAndStable() throws {
        let found = try Self.expanded([], pageSize: 2)
        #expect(found["annotations"]?.isEmpty == true && found["pages"]?.isEmpty == true)
        #expect(found["collections"]?.first?["total"] as? Int == 0)
        let item = try FormatTests.labelled("x")
        var one = WebAnnotationFormat()
        var two = WebAnnotationFormat()
        #expect(one.record(item) == two.record(item))
    }
}
