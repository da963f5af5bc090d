import Foundation
import GlossCore
import GlossProtocol
import PropertyBased
import Testing

@Suite("Protocol requests and replies")
struct RequestTests {
    private func request(_ text: String) throws -> Request { try Request(parsing: try LineParser.parse(text)) }

    @Test("Hand-typed requests read into commands")
    func handTyped() throws {
        let add = try request(#"a1 add doc=japan-us quote="Kishida’s" occurrence=2 label=PERSON tag=x tag=y key=k-1"#)
        #expect(add.tag == "a1")
        #expect(add.key == "k-1")
        #expect(add.command == .add(NewAnnotation(document: DocumentReference(try DocumentID("japan-us")), target: .quote("Kishida’s", occurrence: 2), label: "PERSON", tags: ["x", "y"])))
        let id = AnnotationID(high: 1, low: 2)
        #expect(try request("s SET id=\(id) start=3 end=9 note=\"n\"").command == .set(id, [.span(.offsets(start: 3, end: 9)), .note("n")]))
        #expect(try request("r RESOLVE id=\(id) status=rejected comment=no").command == .resolve(id, .review(Review(status: .rejected, comment: "no"))))
        #expect(try request("l LIST doc=a doc=b status=open deleted=yes limit=5").command
            == .list(AnnotationQuery(documents: [try DocumentID("a"), try DocumentID("b")], status: .open, includeDeleted: true, limit: 5)))
        #expect(try request("h HELLO version=1,2").command == .hello(versions: [1, 2]))
        #expect(try request("w SUBSCRIBE project=news").command == .subscribe(.project(try ProjectID("news"))))
        #expect(try request("w SUBSCRIBE doc=a project=news").command == .subscribe(.document(DocumentReference(try DocumentID("a"), in: try ProjectID("news")))))
        #expect(try request("g DOC-GET id=a project=news").command == .getDocument(DocumentReference(try DocumentID("a"), in: try ProjectID("news"))))
        #expect(try request("a ADD doc=a project=news start=0 end=1").command
            == .add(NewAnnotation(document: DocumentReference(try DocumentID("a"), in: try ProjectID("news")), target: .offsets(start: 0, end: 1))))
    }

    @Test("Every line of the example exchange in docs/PROTOCOL.md parses: client lines as requests")
    func documentedExchange() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/PROTOCOL.md").standardized
        let text = try String(contentsOf: path, encoding: .utf8)
        let exchange = text.split(separator: "\n").filter { $0.hasPrefix("C: ") || $0.hasPrefix("S: ") }
        #expect(exchange.count > 10)
        for line in exchange {
            let parsed = try LineParser.parse(String(line.dropFirst(3)))
            if line.hasPrefix("C: ") { _ = try Request(parsing: parsed) }
        }
    }

    @Test("Bad requests are refused with unknown-verb or bad-argument", arguments: [
        ("a1 FLY", "unknown-verb"),
        ("a1 ADD doc=d", "bad-argument"),
        ("a1 ADD doc=d start=1", "bad-argument"),
        ("a1 ADD doc=d start=1 end=2 quote=x", "bad-argument"),
        ("a1 ADD doc=d start=-1 end=2", "bad-argument"),
        ("a1 ADD doc=d start=1 end=2 occurrence=1", "bad-argument"),
        ("a1 ADD doc=d start=1 end=2 colour=red", "bad-argument"),
        ("a1 ADD doc=d start=1 end=2 label=a label=b", "bad-argument"),
        ("a1 ADD doc=bad/id start=1 end=2", "bad-argument"),
        ("a1 ADD positional doc=d start=1 end=2", "bad-argument"),
        ("a1 GET id=not-a-uuid", "bad-argument"),
        ("a1 SET id=00000000-0000-0001-0000-000000000002", "bad-argument"),
        ("a1 RESOLVE id=00000000-0000-0001-0000-000000000002 label=a note=b", "bad-argument"),
        ("a1 REVIEW id=00000000-0000-0001-0000-000000000002 status=maybe", "bad-argument"),
        ("a1 LIST limit=100000", "bad-argument"),
        ("a1 LIST deleted=perhaps", "bad-argument"),
        ("a1 SUBSCRIBE", "bad-argument"),
        ("a1 DOC-GET id=a project=bad/p", "bad-argument"),
        ("a1 PING key=k", "bad-argument"),
        ("a1 EXPORT key=k", "bad-argument"),
        ("a1 EXPORT after=news/a/0/x", "bad-argument"),
        ("a1 EXPORT kept=3", "bad-argument"),
        ("a1 EXPORT kept=-1 as-of=c", "bad-argument"),
        ("a1 EXPORT conflicted=maybe", "bad-argument"),
        ("a1 EXPORT doc=bad/id", "bad-argument"),
        ("a1 EXPORT rev=a:1", "bad-argument"),
        ("a1 TAG id=00000000-0000-0001-0000-000000000002 " + (0...100).map { "tag=t\($0)" }.joined(separator: " "), "bad-argument"),
        ("a1 ADD doc=d start=0 end=1 " + (0...100).map { "tag=t\($0)" }.joined(separator: " "), "bad-argument"),
        ("a1 HELLO version=one", "bad-argument"),
        ("a1 ADD doc=d start=03 end=5", "bad-argument"),
        ("a1 ADD doc=d start=+3 end=5", "bad-argument"),
        ("a1 LIST limit=0010", "bad-argument"),
        ("a1 LIST since=+1", "bad-argument"),
        ("a1 LIST after=07", "bad-argument"),
        ("a1 HELLO version=01", "bad-argument"),
        ("a1 DELETE id=00000000-0000-0001-0000-000000000002 rev=a:01", "bad-argument"),
        ("* PING", "malformed"),
    ])
    func refused(text: String, code: String) {
        #expect { try request(text) } throws: { ($0 as? ProtocolError)?.code.rawValue == code }
    }

    @Test("EXPORT reads every argument and prints back the same line")
    func export() throws {
        let text = #"e1 EXPORT format=csv project=news doc=a doc=b label=PERSON author=ana status=open changed-after=2026-12-04T09:30:00Z conflicted=yes deleted=yes since=gloss1-x offsets=utf16,utf8 after=news/a/3/id as-of=gloss1-y kept=7"#
        let parsed = try request(text)
        guard case .export(let query) = parsed.command else { Issue.record("not an export: \(parsed.command)"); return }
        #expect(query.format == "csv" && query.documents.map(\.rawValue) == ["a", "b"] && query.offsets == ["utf16", "utf8"] && query.kept == 7)
        #expect(query.changedAfter == "2026-12-04T09:30:00Z" && query.conflicted && query.includeDeleted && query.asOf == "gloss1-y")
        #expect(LinePrinter.print(parsed.line) == text)
        #expect(LinePrinter.print(try request("e2 EXPORT").line) == "e2 EXPORT", "the defaults print as nothing")
    }

    @Test("A verb that takes no arguments says so")
    func noArguments() {
        #expect { try request("a1 PING extra") } throws: { ($0 as? ProtocolError)?.message.contains("PING takes no arguments") == true }
        #expect { try request("a1 GET extra id=00000000-0000-0001-0000-000000000002") } throws: { ($0 as? ProtocolError)?.message.contains("takes only named arguments") == true }
    }

    @Test("Property: printing a request then parsing it gives the same request")
    func roundTrip() async {
        await propertyCheck(count: 1_000, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = Xorshift(seed: seed)
            let request = RandomRequest.make(&random)
            let printed = LinePrinter.print(request.line)
            let parsed = try? Request(parsing: try LineParser.parse(printed))
            #expect(parsed == request, "printed: \(printed)")
        }
    }

    @Test("Replies, greetings and records read back what was written")
    func records() throws {
        let error = ProtocolError(.quoteNotFoundForTest, "the quote \"x\" does not occur")
        let line = try LineParser.parse(LinePrinter.print(Reply.error("t9", error)))
        #expect(Reply.isFinal(line, for: "t9"))
        #expect(Reply.error(in: line) == error)
        let greeting = Greeting(replica: "tokyo", maximumLineBytes: 10, maximumDocumentBytes: 5, maximumInFlight: 3, authenticationTimeoutSeconds: 7, idleTimeoutSeconds: 9)
        #expect(try Greeting(line: try LineParser.parse(LinePrinter.print(greeting.line))) == greeting)

        let text = DocumentText("Kishida’s visit to 東京 🇯🇵 and more")
        let span = try text.span(quoting: "東京")
        var state = AnnotationState(id: AnnotationID(high: 7, low: 9))
        let dot = Dot(replica: try ReplicaID("tokyo"), counter: 1)
        state.apply(AnnotationOperation(
            dot: dot, timestamp: HLCTimestamp(rawValue: 1 << 20), author: "ana", annotation: state.id, context: CausalContext(),
            payload: .create(AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("doc-1"), span: span, label: "PLACE", note: "a \"note\"\nsecond", tags: ["b", "a"]))
        ))
        let record = AnnotationRecord(try #require(state.view), revision: state.revision)
        #expect(record.start == 19 && record.end == 21 && record.quote == "東京")
        #expect(try AnnotationRecord(line: try LineParser.parse(LinePrinter.print(record.line))) == record)
        let event = EventRecord(subscription: 2, sequence: 5, change: "create", author: "ana", annotation: record)
        #expect(try EventRecord(line: try LineParser.parse(LinePrinter.print(event.line))) == event)
        let document = DocumentRecord(try Document(id: try DocumentID("doc-1"), project: try ProjectID("p"), title: "T", text: text.text), includingText: true)
        #expect(try DocumentRecord(line: try LineParser.parse(LinePrinter.print(document.line))) == document)
        let conflict = ConflictRecord(id: state.id, field: .label, value: "ORG", author: "bo", time: 99)
        #expect(try ConflictRecord(line: try LineParser.parse(LinePrinter.print(conflict.line))) == conflict)
    }
}

extension ProtocolError.Code {
    static let quoteNotFoundForTest = ProtocolError.Code("quote-not-found")
}

/// Random well-formed requests, in the canonical argument order the printer uses.
enum RandomRequest {
    static func make(_ random: inout Xorshift) -> Request {
        func pick<T>(_ values: [T]) -> T { values[Int(random.next() % UInt64(values.count))] }
        func text() -> String { pick(["", "a", "two words", "東京", "q\"uote", "line\nbreak", "x=y", "Kishida’s"]) }
        func nonEmpty() -> String { pick(["a", "two words", "東京", "PERSON", "x=y"]) }
        let id = AnnotationID(high: random.next(), low: random.next())
        let document = try! DocumentID(pick(["japan-us", "d1", "A.b_c"]))
        let project = try! ProjectID(pick(["news", "p-1"]))
        let target: SpanTarget = random.next() % 2 == 0
            ? .offsets(start: Int(random.next() % 100), end: Int(random.next() % 100)) : .quote(nonEmpty(), occurrence: random.next() % 2 == 0 ? nil : 1 + Int(random.next() % 3))
        let review = Review(status: pick(ReviewStatus.allCases), comment: text())
        let query = AnnotationQuery(
            project: random.next() % 2 == 0 ? project : nil, documents: random.next() % 2 == 0 ? [document] : [],
            label: random.next() % 2 == 0 ? text() : nil, author: random.next() % 3 == 0 ? nonEmpty() : nil,
            status: random.next() % 2 == 0 ? pick(ReviewStatus.allCases) : nil, since: random.next() % 2 == 0 ? random.next() : nil,
            includeDeleted: random.next() % 2 == 0, after: Int64(random.next() % 1000), limit: 1 + Int(random.next() % 1000)
        )
        var edits: [Edit] = []
        if random.next() % 2 == 0 { edits.append(.span(target)) }
        if random.next() % 2 == 0 { edits.append(.label(text())) }
        if edits.isEmpty || random.next() % 2 == 0 { edits.append(.note(text())) }
        let reference = DocumentReference(document, in: random.next() % 2 == 0 ? project : nil)
        let commands: [Command] = [
            .hello(versions: [1, 2].prefix(1 + Int(random.next() % 2)).map { $0 }), .auth(token: nonEmpty()), .ping, .whoami, .quit,
            .putDocument(DocumentUpload(project: project, id: random.next() % 2 == 0 ? document : nil, title: text(), text: text())),
            .getDocument(reference), .listDocuments(project),
            .add(NewAnnotation(document: reference, target: target, label: text(), note: text(), tags: random.next() % 2 == 0 ? [] : ["x", "東"])),
            .get(id), .list(query), .conflicts(query), .set(id, edits), .resolve(id, pick([.span(target), .label(text()), .note(text()), .review(review)])),
            .tag(id, ["t1"]), .untag(id, ["t1", "t2"]), .delete(id), .restore(id), .review(id, review),
            .subscribe(random.next() % 2 == 0 ? .document(reference) : .project(project)), .unsubscribe(1 + Int(random.next() % 9)),
        ]
        let command = pick(commands)
        let key = command.verb.isWrite && random.next() % 2 == 0 ? pick(["k1", "retry key"]) : nil
        let revision = command.editsAnnotation && random.next() % 2 == 0
            ? [Dot(replica: try! ReplicaID("tokyo"), counter: 1 + random.next() % 99), Dot(replica: try! ReplicaID("w.2"), counter: 7)] : nil
        return Request(tag: pick(["a1", "t.2", "Z_9-x"]), command: command, key: key, revision: revision)
    }
}
