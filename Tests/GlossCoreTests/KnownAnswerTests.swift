import Foundation
import GlossCore
import Testing

/// Fixed encodings that every build of Gloss must produce byte for byte: sites
/// exchange these bytes and compare digests of them, so a change to field order,
/// tags or varints must fail here (and needs a new encoding version).
@Suite("Known-answer vectors of the canonical encoding")
struct KnownAnswerTests {
    /// One operation of every kind, made by two replicas with fixed clocks, so
    /// contexts hold both a version vector and a dot outside it.
    static func operations() throws -> [AnnotationOperation] {
        let project = try ProjectID("news")
        let document = try DocumentID("article")
        let annotation = AnnotationID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210)
        var a = Replica(id: try ReplicaID("site-a"))
        var b = Replica(id: try ReplicaID("site-b"))
        let span = Span(start: 3, end: 8, quote: "Kishi", prefix: "Mr ", suffix: "da’s")
        let create = try a.perform(
            .create(AnnotationSeed(project: project, document: document, span: span, label: "PERSON", note: "n", tags: ["alpha", "beta"])),
            on: annotation, by: "ana", wallClockMilliseconds: 1_700_000_000_000
        )
        b.apply(create)
        let label = try b.perform(.set(.label("ORG")), on: annotation, by: "bo", wallClockMilliseconds: 1_700_000_000_500)
        let note = try a.perform(.set(.note("é\u{301}🙂")), on: annotation, by: "ana", wallClockMilliseconds: 1_700_000_000_400)
        a.apply(label)
        let resolve = try a.perform(.resolve(.label("ORG")), on: annotation, by: "ana", wallClockMilliseconds: 1_700_000_001_000)
        let move = try a.perform(
            .set(.span(Span(start: 0, end: 8, quote: "Mr Kishi", prefix: "", suffix: "da’s"))), on: annotation, by: "ana",
            wallClockMilliseconds: 1_700_000_001_000
        )
        let review = try b.perform(.set(.review(Review(status: .accepted, comment: "ok"))), on: annotation, by: "rev", wallClockMilliseconds: 1_700_000_002_000)
        let addTag = try b.perform(.addTag("gamma"), on: annotation, by: "bo", wallClockMilliseconds: 1_700_000_002_000)
        let removeTag = try a.perform(.removeTag("alpha"), on: annotation, by: "ana", wallClockMilliseconds: 1_700_000_003_000)
        let delete = try a.perform(.delete, on: annotation, by: "ana", wallClockMilliseconds: 1_700_000_004_000)
        b.apply(delete)
        let restore = try b.perform(.restore, on: annotation, by: "bo", wallClockMilliseconds: 1_700_000_005_000)
        return [create, label, note, resolve, move, review, addTag, removeTag, delete, restore]
    }

    /// An operation whose context holds a dot outside its vector (site-a 1, then 6).
    static func gappedContext() throws -> AnnotationOperation {
        let a = try ReplicaID("site-a")
        return AnnotationOperation(
            dot: Dot(replica: try ReplicaID("site-c"), counter: 1), timestamp: HLCTimestamp(milliseconds: 1_700_000_006_000, logical: 2),
            author: "cy", annotation: AnnotationID(high: 0x0123_4567_89AB_CDEF, low: 0xFEDC_BA98_7654_3210),
            context: CausalContext(vector: VersionVector([(a, 1)]), dots: [Dot(replica: a, counter: 6)]), payload: .set(.note(""))
        )
    }

    static let expectedOperations: [(kind: String, hex: String)] = [
        ("create", "0206736974652d6101808080c0d6fcf3c50103616e610123456789abcdeffedcba98765432100000010761727469636c650308054b69736869034d7220066461e280997306504552534f4e016e0205616c7068610462657461046e657773"),
        ("set-label", "0206736974652d62018080d0cfd6fcf3c50102626f0123456789abcdeffedcba98765432100106736974652d6101000201034f5247"),
        ("set-note", "0206736974652d61028080c0ccd6fcf3c50103616e610123456789abcdeffedcba98765432100106736974652d610100020208c3a9cc81f09f9982"),
        ("resolve-label", "0206736974652d61038080a0dfd6fcf3c50103616e610123456789abcdeffedcba98765432100206736974652d610206736974652d6201000301034f5247"),
        ("set-span", "0206736974652d61048180a0dfd6fcf3c50103616e610123456789abcdeffedcba98765432100206736974652d610306736974652d62010002000008084d72204b6973686900066461e2809973"),
        ("set-review", "0206736974652d62028080c0fed6fcf3c501037265760123456789abcdeffedcba98765432100206736974652d610106736974652d620100020301026f6b"),
        ("add-tag", "0206736974652d62038180c0fed6fcf3c50102626f0123456789abcdeffedcba98765432100206736974652d610106736974652d620200040567616d6d61"),
        ("remove-tag", "0206736974652d61058080e09dd7fcf3c50103616e610123456789abcdeffedcba98765432100206736974652d610406736974652d6201000505616c706861"),
        ("delete", "0206736974652d6106808080bdd7fcf3c50103616e610123456789abcdeffedcba98765432100206736974652d610506736974652d62010006"),
        ("restore", "0206736974652d62048080a0dcd7fcf3c50102626f0123456789abcdeffedcba98765432100206736974652d610606736974652d62030007"),
    ]

    static let expectedGapped = "0206736974652d63018280c0fbd7fcf3c5010263790123456789abcdeffedcba98765432100106736974652d61010106736974652d6106020200"

    /// The merged state of all the operations above (and its digest).
    static let expectedState =
        "020123456789abcdeffedcba98765432100106736974652d6101808080c0d6fcf3c50103616e610761727469636c650106736974652d61048180a0dfd6fcf3c50103616e610008084d72204b6973686900066461e28099730206736974652d610406736974652d6201000106736974652d61038080a0dfd6fcf3c50103616e61034f52470206736974652d610306736974652d6201000106736974652d61028080c0ccd6fcf3c50103616e6108c3a9cc81f09f99820106736974652d6102000106736974652d62028080c0fed6fcf3c5010372657601026f6b0206736974652d610106736974652d6202000305616c706861000206736974652d610506736974652d62010004626574610106736974652d6101808080c0d6fcf3c50103616e610106736974652d6101000567616d6d610106736974652d62038180c0fed6fcf3c50102626f0206736974652d610106736974652d6203000106736974652d62048080a0dcd7fcf3c50102626f010206736974652d610606736974652d6204008080a0dcd7fcf3c501046e657773"
    static let expectedDigest = "285bfde874e1f29e9662da236566e63245441bf741754c2d22fda8e2a2e6db37"
    /// The digest of no annotations: SHA-256 of nothing.
    static let emptyDigest = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    @Test("Every operation kind encodes to its fixed bytes and decodes back")
    func operationVectors() throws {
        let operations = try Self.operations() + [try Self.gappedContext()]
        let expected = Self.expectedOperations + [("set-note", Self.expectedGapped)]
        #expect(operations.count == expected.count)
        for (operation, (kind, hex)) in zip(operations, expected) {
            #expect(operation.kind == kind)
            #expect(Hex.encode(operation.encoded()) == hex, "\(kind)")
            #expect(try AnnotationOperation(decoding: try #require(hexBytes(hex))) == operation, "\(kind)")
        }
        #expect(!(try Self.gappedContext()).context.extras.isEmpty, "one vector has a dot outside its context's vector")
    }

    @Test("A merged state and its digest encode to fixed bytes, in any merge order")
    func stateVectors() throws {
        let operations = try Self.operations()
        for order in [operations, operations.reversed(), operations.shuffled()] {
            var replica = Replica(id: try ReplicaID("site-c"))
            for operation in order { replica.apply(operation) }
            let state = try #require(replica.annotations.values.first)
            #expect(Hex.encode(state.encoded()) == Self.expectedState)
            #expect(try AnnotationState(decoding: try #require(hexBytes(Self.expectedState))) == state)
            #expect(replica.digest.description == Self.expectedDigest)
        }
        #expect(Replica(id: try ReplicaID("x")).digest.description == Self.emptyDigest)
    }

    @Test("A create whose tags repeat or are out of order is refused: a peer's bytes must be canonical")
    func nonCanonicalTagsRefused() throws {
        let canonical = Self.expectedOperations[0].hex
        let tags = "0205616c7068610462657461"
        #expect(canonical.contains(tags))
        for (why, replacement) in [("out of order", "020462657461" + "05616c706861"), ("repeated", "0205616c706861" + "05616c706861")] {
            let bytes = try #require(hexBytes(canonical.replacingOccurrences(of: tags, with: replacement)))
            #expect(throws: CoreError.self, "\(why)") { try AnnotationOperation(decoding: bytes) }
            do {
                _ = try AnnotationOperation(decoding: bytes)
            } catch {
                #expect(error.code == .decodeMalformed, "\(why)")
            }
        }
    }

    @Test("Two creates of one annotation from different sites give the same origin, the lowest dot, in any arrival order")
    func concurrentCreatesAgreeOnOrigin() throws {
        let annotation = AnnotationID(high: 1, low: 2)
        let project = try ProjectID("news")
        let document = try DocumentID("article")
        let seed = { (label: String) in
            AnnotationSeed(project: project, document: document, span: Span(start: 0, end: 1, quote: "a", prefix: "", suffix: ""), label: label)
        }
        var a = Replica(id: try ReplicaID("site-a"))
        var b = Replica(id: try ReplicaID("site-b"))
        _ = try b.perform(.set(.note("warm-up")), on: AnnotationID(high: 9, low: 9), by: "bo", wallClockMilliseconds: 1)
        let fromA = try a.perform(.create(seed("A")), on: annotation, by: "ana", wallClockMilliseconds: 2_000)
        let fromB = try b.perform(.create(seed("B")), on: annotation, by: "bo", wallClockMilliseconds: 1_000)
        a.apply(fromB)
        b.apply(fromA)
        let lowest = min(fromA.dot, fromB.dot)
        #expect(a.annotations[annotation]?.origin?.dot == lowest)
        #expect(b.annotations[annotation]?.origin?.dot == lowest)
        #expect(a.annotations[annotation] == b.annotations[annotation])
    }
}

/// The bytes of a lower-case hexadecimal string; nil for anything else.
func hexBytes(_ text: String) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        bytes.append(byte)
    }
    return bytes
}
