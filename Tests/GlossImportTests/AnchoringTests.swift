import GlossCore
import GlossImport
import Testing

@Suite("Import: anchoring by offsets and quote")
struct AnchoringTests {
    static let text = DocumentText("Tokyo said no. Then Tokyo said yes. 👩‍👩‍👧 family: the cafe\u{301} and the café. Tokyo")

    static func annotation(start: Int? = nil, end: Int? = nil, exact: String = "", prefix: String = "", suffix: String = "") -> ImportedAnnotation {
        var annotation = ImportedAnnotation()
        (annotation.start, annotation.end, annotation.exact, annotation.prefix, annotation.suffix) = (start, end, exact, prefix, suffix)
        return annotation
    }

    @Test("Offsets that select the quote are kept; offsets alone are kept when in range")
    func asGiven() throws {
        let (span, placement) = try Anchoring.anchor(Self.annotation(start: 20, end: 25, exact: "Tokyo"), in: Self.text)
        #expect(span.start == 20 && span.end == 25 && placement == .asGiven)
        let bare = try Anchoring.anchor(Self.annotation(start: 0, end: 5), in: Self.text)
        #expect(bare.span.quote == "Tokyo" && bare.placement == .asGiven)
    }

    @Test("Off offsets: the occurrence whose prefix and suffix fit best wins, then the nearest to the given start")
    func moved() throws {
        // UTF-16 offsets of the last "Tokyo" (the emoji family counts 8 units, 5 code points): off by 3.
        let last = Self.text.occurrences(of: "Tokyo").last!
        let byContext = try Anchoring.anchor(Self.annotation(start: last + 3, end: last + 8, exact: "Tokyo", prefix: "café. "), in: Self.text)
        #expect(byContext.span.start == last && byContext.placement == .moved)
        let second = try Anchoring.anchor(Self.annotation(start: 3, end: 8, exact: "Tokyo", prefix: "Then ", suffix: " said yes"), in: Self.text)
        #expect(second.span.start == 20, "the prefix and suffix pick the second, though the offsets are nearer the first")
        let nearest = try Anchoring.anchor(Self.annotation(start: 18, end: 23, exact: "Tokyo"), in: Self.text)
        #expect(nearest.span.start == 20, "without context, the nearest to the given start")
        let noOffsets = try Anchoring.anchor(Self.annotation(exact: "Tokyo", suffix: " said no"), in: Self.text)
        #expect(noOffsets.span.start == 0 && noOffsets.placement == .byQuote)
    }

    @Test("A quote not in the text, one only inside larger characters, and bad offsets without a quote cannot be anchored, with the reason")
    func unanchorable() {
        #expect { try Anchoring.anchor(Self.annotation(exact: "Kyoto"), in: Self.text) } throws: {
            ($0 as? ImportError)?.code == "unanchorable" && ($0 as? ImportError)?.message.contains("does not occur") == true
        }
        // "cafe" occurs only before a combining accent: never as whole characters.
        #expect { try Anchoring.anchor(Self.annotation(exact: "cafe"), in: Self.text) } throws: { ($0 as? ImportError)?.code == "unanchorable" }
        #expect { try Anchoring.anchor(Self.annotation(exact: "👩"), in: Self.text) } throws: { ($0 as? ImportError)?.code == "unanchorable" }
        #expect { try Anchoring.anchor(Self.annotation(start: 70, end: 900), in: Self.text) } throws: {
            ($0 as? ImportError)?.message.contains("no quote to look for") == true
        }
    }
}

@Suite("Import: records and their history")
struct ImportHistoryTests {
    static let text = DocumentText("Japan and the United States will hold security talks.")
    static let key = DocumentKey(project: try! ProjectID("news"), document: try! DocumentID("article"))

    static func time(_ milliseconds: UInt64) -> HLCTimestamp { HLCTimestamp(milliseconds: milliseconds, logical: 0) }

    static func state(of annotation: ImportedAnnotation) throws -> AnnotationView {
        let id = try AnnotationID("6449f5b3-78ee-46f0-9acf-b74bb6a62f08")
        let span = try text.span(start: 0, end: 5)
        let history = ImportHistory(
            annotation, id: id, document: key, span: span, text: text, replica: try ReplicaID("site-import-1"), firstCounter: 1, importer: "importer",
            now: time(9_000)
        )
        #expect(history.operations.map(\.dot.counter) == Array(1...UInt64(history.operations.count)), "counters without gaps")
        #expect(history.nextCounter == UInt64(history.operations.count) + 1)
        var state = AnnotationState(id: id)
        for operation in history.operations.reversed() {
            try operation.validate()
            state.apply(operation)
        }
        return try #require(state.view)
    }

    @Test("Authors, times, losing values in one millisecond and the deletion come out as the record says")
    func sameAsRecord() throws {
        var record = ImportedAnnotation()
        (record.label, record.note, record.tags, record.creator, record.created, record.updated) = ("LEADER", "pm", ["a", "b"], "ana", Self.time(1_000), Self.time(5_000))
        record.review = Review(status: .accepted, comment: "ok")
        record.fields = [
            .span: .init(author: "ana", time: Self.time(1_000)), .label: .init(author: "ben", time: Self.time(3_000)),
            .note: .init(author: "ana", time: Self.time(1_000)), .review: .init(author: "rev", time: Self.time(4_000)),
        ]
        record.conflicts = [
            .init(field: .label, value: .text("POLITICIAN"), provenance: .init(author: "ana", time: Self.time(3_000))),
            .init(field: .label, value: .text("PM"), provenance: .init(author: "cy", time: Self.time(3_000))),
        ]
        let view = try Self.state(of: record)
        #expect(view.creator == "ana" && view.createdAt.milliseconds == 1_000 && view.updatedAt.milliseconds == 5_000)
        #expect(view.label.value == "LEADER" && view.label.author == "ben" && view.label.timestamp.milliseconds == 3_000)
        #expect(view.label.conflicts.map(\.value) == ["POLITICIAN", "PM"], "the losers in the record's order")
        #expect(view.note.value == "pm" && view.note.author == "ana")
        #expect(view.review.value == Review(status: .accepted, comment: "ok") && view.review.author == "rev")
        #expect(view.tags == ["a", "b"] && view.deletion == .live)

        record.deleted = true
        #expect(try Self.state(of: record).deletion == .deleted)
        record.deleted = false
        record.deleteConflict = true
        guard case .deleteConflict = try Self.state(of: record).deletion else {
            Issue.record("a delete conflict stays one")
            return
        }
    }

    @Test("A record that says little: the importer creates it, now")
    func bare() throws {
        var record = ImportedAnnotation()
        record.note = "from another tool"
        let view = try Self.state(of: record)
        #expect(view.creator == "importer" && view.createdAt.milliseconds == 9_000 && view.note.value == "from another tool" && view.review.value == .open)
    }

    @Test("JSON Lines and W3C readers refuse a value of the wrong kind, naming it (true is not a number, 1 is not true)")
    func wrongKinds() throws {
        let cases: [([String: Any], String)] = [
            (["type": "annotation", "start": true], "start is not a whole number"),
            (["type": "annotation", "deleted": 1], "deleted is not true or false"),
            (["type": "annotation", "start": -3], "start is not a whole number"),
            (["type": "annotation", "id": "nope"], "is not a UUID"),
            (["type": "annotation", "review": ["status": "maybe"]], "review.status must be open"),
            (["type": "annotation", "conflicts": [["field": "label", "value": "x"]]], "conflicts[0].author"),
            (["type": "header"], "not an annotation record"),
        ]
        for (object, words) in cases {
            #expect { try ImportedAnnotation(jsonLines: object) } throws: { ($0 as? ImportError)?.message.contains(words) == true }
        }
        #expect { try ImportedAnnotation(webAnnotation: ["type": "Annotation"]) } throws: { ($0 as? ImportError)?.message.contains("no target") == true }
        #expect { try ImportedAnnotation(webAnnotation: ["type": "Note"]) } throws: { ($0 as? ImportError)?.code == "bad-record" }
        let read = try ImportedAnnotation(jsonLines: ["type": "annotation", "start": 3, "end": 7, "deleted": true, "tags": ["x"]])
        #expect(read.start == 3 && read.end == 7 && read.deleted && read.tags == ["x"])
    }
}
