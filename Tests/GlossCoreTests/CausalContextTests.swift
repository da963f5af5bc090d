import GlossCore
import PropertyBased
import Testing

@Suite("Dots, version vectors and causal contexts")
struct CausalContextTests {
    let a = try! ReplicaID("a")
    let b = try! ReplicaID("b")

    @Test("Out-of-order dots are kept as extras and fold into the vector when the gap fills")
    func extrasFold() {
        var context = CausalContext()
        context.insert(Dot(replica: a, counter: 3))
        context.insert(Dot(replica: a, counter: 1))
        #expect(context.vector[a] == 1)
        #expect(context.extras == [Dot(replica: a, counter: 3)])
        #expect(!context.contains(Dot(replica: a, counter: 2)))
        context.insert(Dot(replica: a, counter: 2))
        #expect(context.vector[a] == 3)
        #expect(context.extras.isEmpty)
    }

    @Test("Property: the representation depends only on the set of dots")
    func canonicalForm() async {
        let dots = Gen.int(in: 1...12).array(of: 0...20)
        await propertyCheck(count: 300, input: dots, dots) { first, second in
            let all = first.map { Dot(replica: a, counter: UInt64($0)) } + second.map { Dot(replica: b, counter: UInt64($0)) }
            var forward = CausalContext()
            for dot in all { forward.insert(dot) }
            var backward = CausalContext()
            for dot in all.reversed() { backward.insert(dot) }
            var split = CausalContext(vector: VersionVector(), dots: Array(all.prefix(all.count / 2)))
            split.formUnion(CausalContext(vector: VersionVector(), dots: Array(all.dropFirst(all.count / 2))))
            #expect(forward == backward)
            #expect(forward == split)
            for counter in 1...13 {
                #expect(forward.contains(Dot(replica: a, counter: UInt64(counter))) == first.contains(counter))
            }
        }
    }

    @Test("Version vectors merge pointwise and compare by inclusion")
    func vectors() {
        var left = VersionVector([(a, 3)])
        let right = VersionVector([(b, 2), (a, 1)])
        #expect(!left.includes(right))
        left.formUnion(right)
        #expect(left[a] == 3 && left[b] == 2)
        #expect(left.includes(right))
        #expect(left.description == "{a:3, b:2}")
    }

    @Test("Identifiers are validated", arguments: ["", "-x", "has space", String(repeating: "x", count: 65), "ünïcode"])
    func badReplicaIDs(_ text: String) {
        #expect { try ReplicaID(text) } throws: { ($0 as? CoreError)?.code == .invalidIdentifier }
    }

    @Test("Annotation ids parse and print as UUIDs")
    func annotationIDs() throws {
        let id = try AnnotationID("3F2B8C1E-9A4D-4E7F-8B21-0C5D6E7F8A9B")
        #expect(id.description == "3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b")
        #expect(try AnnotationID(id.description) == id)
        #expect(AnnotationID(high: 1, low: 1).description == "00000000-0000-0001-0000-000000000001")
        var random = SplitMix(seed: 3)
        let fresh = AnnotationID.random(using: &random)
        #expect(try AnnotationID(fresh.description) == fresh)
        #expect(Array(fresh.description)[14] == "4")
        let early = AnnotationID.timeOrdered(milliseconds: 1_764_000_000_000, using: &random)
        let later = AnnotationID.timeOrdered(milliseconds: 1_764_000_000_001, using: &random)
        #expect(early < later, "time-ordered ids sort by time")
        #expect(Array(early.description)[14] == "7" && "89ab".contains(Array(early.description)[19]), "version 7, RFC variant")
        #expect(early.description.hasPrefix("019ab697-e800-7"), "the milliseconds come first")
        #expect(try AnnotationID(early.description) == early)
        for bad in ["", "3f2b8c1e9a4d4e7f8b210c5d6e7f8a9b", "3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9g", "3f2b8c1e-9a4d-4e7f-8b21-0c5d6e7f8a9b0"] {
            #expect { try AnnotationID(bad) } throws: { ($0 as? CoreError)?.code == .invalidIdentifier }
        }
    }

    @Test("Document ids derive from titles")
    func derivedDocumentIDs() {
        #expect(DocumentID.derived(fromTitle: "Japan–US “2+2” talks", text: "本文").rawValue == "japan-us-2-2-talks")
        #expect(DocumentID.derived(fromTitle: "東京", text: "本文").rawValue == "doc-" + DocumentText("本文").sha256.prefix(12))
        #expect(DocumentID.derived(fromTitle: "", text: "other").rawValue == "doc-" + DocumentText("other").sha256.prefix(12))
        #expect(DocumentID.derived(fromTitle: "Москва", text: "本文") != DocumentID.derived(fromTitle: "Москва", text: "другой"))
    }

    @Test("Operations over the limits are refused with their codes")
    func operationLimits() throws {
        var replica = Replica(id: a)
        let id = AnnotationID.random()
        let span = try DocumentText("Kishida met Biden").span(start: 0, end: 7)
        try replica.perform(.create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span)), on: id, by: "ana", wallClockMilliseconds: 1)
        let cases: [(AnnotationOperation.Payload, String, CoreError.Code)] = [
            (.set(.label(String(repeating: "L", count: Limits.maximumLabelLength + 1))), "ana", .valueTooLong),
            (.set(.note(String(repeating: "n", count: Limits.maximumNoteLength + 1))), "ana", .valueTooLong),
            (.addTag("two words"), "ana", .invalidTag),
            (.addTag(""), "ana", .invalidTag),
            (.set(.label("ok")), "", .malformedOperation),
            (.set(.span(Span(start: 3, end: 3, quote: "", prefix: "", suffix: ""))), "ana", .malformedOperation),
        ]
        for (payload, author, code) in cases {
            #expect { try replica.perform(payload, on: id, by: author, wallClockMilliseconds: 2) } throws: { ($0 as? CoreError)?.code == code }
        }
        #expect(replica.counter == 1, "a refused operation uses no counter")
    }

    @Test("Tags on one annotation are bounded: 100 at once, 1,000 names ever written")
    func tagLimits() throws {
        var replica = Replica(id: a)
        let id = AnnotationID.random()
        let span = try DocumentText("Kishida met Biden").span(start: 0, end: 7)
        try replica.perform(.create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span)), on: id, by: "ana", wallClockMilliseconds: 1)
        for index in 0..<Limits.maximumTagsPerAnnotation { try replica.perform(.addTag("t\(index)"), on: id, by: "ana", wallClockMilliseconds: 2) }
        #expect { try replica.perform(.addTag("one-more"), on: id, by: "ana", wallClockMilliseconds: 3) } throws: { ($0 as? CoreError)?.code == .valueTooLong }
        try replica.perform(.addTag("t0"), on: id, by: "ana", wallClockMilliseconds: 3)
        try replica.perform(.removeTag("t0"), on: id, by: "ana", wallClockMilliseconds: 3)
        try replica.perform(.addTag("one-more"), on: id, by: "ana", wallClockMilliseconds: 3)
        var written = 101
        while written < Limits.maximumTagNamesPerAnnotation {
            try replica.perform(.removeTag("gone-\(written)"), on: id, by: "ana", wallClockMilliseconds: 4)
            written += 1
        }
        #expect { try replica.perform(.removeTag("another"), on: id, by: "ana", wallClockMilliseconds: 5) } throws: { ($0 as? CoreError)?.code == .valueTooLong }
        #expect { try replica.perform(.addTag("another"), on: id, by: "ana", wallClockMilliseconds: 5) } throws: { ($0 as? CoreError)?.code == .valueTooLong }
        try replica.perform(.removeTag("t1"), on: id, by: "ana", wallClockMilliseconds: 5)
        #expect(replica.annotations[id]?.presentTags.count == 99)
    }

    @Test("U+0000 (NUL) is refused in every text field of an operation and of a document, before it reaches storage")
    func nulRefusedEverywhere() throws {
        var replica = Replica(id: a)
        let id = AnnotationID.random()
        let text = DocumentText("Kishida met Biden")
        let span = try text.span(start: 0, end: 7)
        let nul = "a\u{0}b"
        let payloads: [AnnotationOperation.Payload] = [
            .create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span, label: nul)),
            .create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span, note: nul)),
            .create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span, tags: [nul])),
            .set(.label(nul)), .set(.note(nul)), .set(.review(Review(status: .accepted, comment: nul))), .resolve(.note(nul)),
            .addTag(nul), .removeTag(nul),
            .set(.span(Span(start: 0, end: 3, quote: "a\u{0}b", prefix: "", suffix: ""))),
            .set(.span(Span(start: 1, end: 2, quote: "i", prefix: "\u{0}", suffix: ""))),
        ]
        try replica.perform(.create(AnnotationSeed(project: try ProjectID("p"), document: try DocumentID("d"), span: span)), on: id, by: "ana", wallClockMilliseconds: 1)
        for payload in payloads {
            #expect { try replica.perform(payload, on: id, by: "ana", wallClockMilliseconds: 2) } throws: {
                let code = ($0 as? CoreError)?.code
                return code == .invalidCharacter || code == .invalidTag
            }
        }
        #expect { try replica.perform(.set(.label("ok")), on: id, by: nul, wallClockMilliseconds: 2) } throws: {
            ($0 as? CoreError)?.code == .invalidCharacter
        }
        #expect(replica.counter == 1)
        let project = try ProjectID("p")
        #expect { try Document(id: DocumentID("d"), project: project, title: "t", text: nul) } throws: { ($0 as? CoreError)?.code == .invalidCharacter }
        #expect { try Document(id: DocumentID("d"), project: project, title: nul, text: "x") } throws: { ($0 as? CoreError)?.code == .invalidCharacter }
    }

    @Test("Errors quote only a short, escaped excerpt of a long or hostile value")
    func excerptsInErrors() throws {
        let long = String(repeating: "\u{1B}[2J", count: 20_000)
        var messages: [String] = []
        func record(_ body: () throws(CoreError) -> Void) {
            do { try body() } catch { messages.append(error.message) }
        }
        record { () throws(CoreError) in _ = try AnnotationID(long) }
        record { () throws(CoreError) in _ = try DocumentID(long) }
        record { () throws(CoreError) in _ = try DocumentText("some text").span(quoting: long) }
        record { () throws(CoreError) in try Limits.checkTag(long) }
        #expect(messages.count == 4)
        for message in messages {
            #expect(message.unicodeScalars.count < 300, "\(message.prefix(100))")
            #expect(!message.unicodeScalars.contains("\u{1B}"), "control characters are shown escaped")
            #expect(message.contains("\\u{1b}[2J"))
        }
        #expect(Excerpt.of("abc") == "abc")
        #expect(Excerpt.of("line\nnext\u{202E}x") == "line\\nnext\\u{202e}x")
        #expect(Excerpt.of(String(repeating: "é", count: 50), limit: 10) == String(repeating: "é", count: 10) + "…(40 more code points)")
    }

    @Test("An operation that lists itself in its context is malformed")
    func selfContext() throws {
        let dot = Dot(replica: a, counter: 1)
        let operation = AnnotationOperation(
            dot: dot, timestamp: .zero, author: "ana", annotation: .random(), context: CausalContext(vector: VersionVector(), dots: [dot]),
            payload: .delete
        )
        #expect { try operation.validate() } throws: { ($0 as? CoreError)?.code == .malformedOperation }
    }
}
