import Foundation
import GlossCore
import GlossCoreTesting
import PropertyBased
import Testing

@Suite("Spans, quotes and offsets")
struct SpanTests {
    let text = DocumentText("Kishida’s visit: Kishida met Biden. Café, cafe\u{301}.")

    @Test("A span carries its quote, prefix and suffix, sliced by code points")
    func spanContent() throws {
        let span = try text.span(start: 17, end: 24)
        #expect(span.quote == "Kishida")
        #expect(span.prefix == "Kishida’s visit: ")
        #expect(span.suffix.hasPrefix(" met Biden."))
        try text.validate(span)
    }

    @Test("Prefix and suffix keep at most 32 code points")
    func contextLength() throws {
        let long = DocumentText(String(repeating: "a", count: 100) + "X" + String(repeating: "b", count: 100))
        let span = try long.span(quoting: "X")
        #expect(span.prefix.unicodeScalars.count == 32)
        #expect(span.suffix.unicodeScalars.count == 32)
    }

    @Test("Reversed, negative, empty and out-of-range spans are refused with their codes", arguments: [
        (5, 2, CoreError.Code.spanReversed), (-1, 3, .spanReversed), (4, 4, .spanEmpty), (40, 400, .spanOutOfRange),
    ])
    func rangeErrors(start: Int, end: Int, code: CoreError.Code) {
        #expect { try text.span(start: start, end: end) } throws: { ($0 as? CoreError)?.code == code }
    }

    @Test("A quote, prefix or suffix that does not match the text is refused")
    func mismatches() throws {
        let good = try text.span(start: 0, end: 7)
        let wrongQuote = Span(start: 0, end: 7, quote: "Kishidz", prefix: good.prefix, suffix: good.suffix)
        let wrongPrefix = Span(start: 0, end: 7, quote: good.quote, prefix: "x", suffix: good.suffix)
        let wrongSuffix = Span(start: 0, end: 7, quote: good.quote, prefix: good.prefix, suffix: "nope")
        #expect { try text.validate(wrongQuote) } throws: { ($0 as? CoreError)?.code == .quoteMismatch }
        #expect { try text.validate(wrongPrefix) } throws: { ($0 as? CoreError)?.code == .prefixMismatch }
        #expect { try text.validate(wrongSuffix) } throws: { ($0 as? CoreError)?.code == .suffixMismatch }
    }

    @Test("Canonically equivalent but different code points do not match")
    func exactScalars() throws {
        let decomposed = try text.span(quoting: "cafe\u{301}")
        #expect(decomposed.length == 5)
        let precomposed = try text.span(quoting: "Café")
        #expect(precomposed.length == 4)
        let forged = Span(start: decomposed.start, end: decomposed.end, quote: "caf\u{E9}", prefix: decomposed.prefix, suffix: decomposed.suffix)
        #expect { try text.validate(forged) } throws: { ($0 as? CoreError)?.code == .quoteMismatch }
        #expect(text.occurrences(of: "caf\u{E9}").isEmpty, "a precomposed é must not find the decomposed one")
    }

    @Test("Quote search: not found, empty, ambiguous without an occurrence, occurrence out of range")
    func quoteErrors() throws {
        #expect { try text.span(quoting: "Trudeau") } throws: { ($0 as? CoreError)?.code == .quoteNotFound }
        #expect { try text.span(quoting: "") } throws: { ($0 as? CoreError)?.code == .quoteEmpty }
        #expect { try text.span(quoting: "Kishida") } throws: { ($0 as? CoreError)?.code == .quoteAmbiguous }
        #expect { try text.span(quoting: "Kishida", occurrence: 3) } throws: { ($0 as? CoreError)?.code == .occurrenceOutOfRange }
        #expect { try text.span(quoting: "Kishida", occurrence: 0) } throws: { ($0 as? CoreError)?.code == .occurrenceOutOfRange }
        #expect(try text.span(quoting: "Kishida", occurrence: 2).start == 17)
        #expect(try text.span(quoting: "Kishida’s").start == 0)
    }

    @Test("Overlapping occurrences are counted")
    func overlapping() {
        #expect(DocumentText("aaaa").occurrences(of: "aa") == [0, 1, 2])
        #expect(DocumentText("abababa").occurrences(of: "aba") == [0, 2, 4])
        #expect(DocumentText("aabaaab").occurrences(of: "aab") == [0, 4])
    }

    @Test("Property: the quote search finds exactly what a naive search finds")
    func searchMatchesNaive() async {
        let alphabet: [Unicode.Scalar] = ["a", "b", "\u{301}", "東"]
        await propertyCheck(count: 500, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SeededRandom(seed: seed)
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...40, using: &random)).map { _ in alphabet.randomElement(using: &random)! }))
            let quote = String(String.UnicodeScalarView((0..<Int.random(in: 1...4, using: &random)).map { _ in alphabet.randomElement(using: &random)! }))
            let scalars = Array(text.unicodeScalars)
            let needle = Array(quote.unicodeScalars)
            let naive = scalars.count < needle.count ? [] : (0...(scalars.count - needle.count)).filter { Array(scalars[$0..<($0 + needle.count)]) == needle }
            #expect(DocumentText(text).occurrences(of: quote) == naive, "\(Array(text.unicodeScalars)) / \(Array(quote.unicodeScalars))")
        }
    }

    @Test("On both corpus files every span's quote equals the text sliced by code points")
    func corpusSpans() throws {
        for name in ["japan-us-2plus2.txt", "unicode-sampler.txt"] {
            let document = DocumentText(try String(contentsOfFile: Fixtures.samplesFolder + "/" + name, encoding: .utf8))
            var checked = 0
            let step = max(1, document.count / 300)
            for start in stride(from: 0, to: document.count - 1, by: step) {
                for length in [1, 2, 5, 13] where start + length <= document.count {
                    let span = try document.span(start: start, end: start + length)
                    let sliced = String(String.UnicodeScalarView(document.text.unicodeScalars.dropFirst(start).prefix(length)))
                    #expect(DocumentText.sameScalars(span.quote, sliced))
                    try document.validate(span)
                    checked += 1
                }
            }
            #expect(checked > 500, "\(name): \(checked) spans checked")
        }
    }

    @Test("Byte or UTF-16 offsets would point elsewhere on the sampler")
    func otherOffsetsDiffer() throws {
        let sampler = DocumentText(try String(contentsOfFile: Fixtures.samplesFolder + "/unicode-sampler.txt", encoding: .utf8))
        let span = try sampler.span(quoting: "three times")
        let utf16Start = sampler.utf16Offset(ofCodePoint: span.start)
        let utf8Start = sampler.utf8Offset(ofCodePoint: span.start)
        #expect(utf16Start != span.start)
        #expect(utf8Start != span.start)
        #expect(utf8Start != utf16Start)
        let utf16 = Array(sampler.text.utf16)
        #expect(String(decoding: utf16[utf16Start..<(utf16Start + 11)], as: UTF16.self) == "three times")
        let bytes = Array(sampler.text.utf8)
        #expect(String(decoding: bytes[utf8Start..<(utf8Start + 11)], as: UTF8.self) == "three times")
        let misread = try sampler.span(start: utf16Start, end: utf16Start + 11)
        #expect(misread.quote != "three times", "UTF-16 offsets read as code points land on other text")
        let flag = try sampler.span(quoting: "🇯🇵")
        #expect(flag.length == 2, "a flag is two regional-indicator code points")
    }

    /// The SHA-256 of each bundled sample's bytes: the copies the demo and the tests use.
    static let sampleDigests = [
        "japan-us-2plus2.txt": "8733e2daeaf1f2d6173c264ba3fd2e8e1b3bbbd31b555e130a2ecbf0064bd0b3",
        "unicode-sampler.txt": "925e5434cb8142c3ff05b7d50d70c3d339f211aba2390beac2315f37bde4c66c",
    ]

    @Test("The bundled samples are the expected bytes")
    func bundledSamplesAreIntact() throws {
        for (name, digest) in Self.sampleDigests {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: Fixtures.samplesFolder + "/" + name))
            #expect(DocumentText(try #require(String(validating: bytes, as: UTF8.self))).sha256 == digest, "\(name) changed")
        }
    }

    static var sharedCorpus: String { Fixtures.samplesFolder + "/../../shared/corpus" }

    @Test(
        "The bundled samples are the shared corpus (run only where the corpus is beside the checkout)",
        .enabled(if: FileManager.default.fileExists(atPath: Self.sharedCorpus + "/japan-us-2plus2.txt"), "the shared corpus is not beside this checkout")
    )
    func bundledSamplesMatchCorpus() throws {
        for name in Self.sampleDigests.keys {
            let shared = try Data(contentsOf: URL(fileURLWithPath: Self.sharedCorpus + "/" + name))
            let bundled = try Data(contentsOf: URL(fileURLWithPath: Fixtures.samplesFolder + "/" + name))
            #expect(shared == bundled, "\(name) differs from the shared corpus")
        }
    }

    @Test("A quote never matches part of a user-perceived character", arguments: [
        ("cafe\u{301} and cafe", "cafe", 10, 1),
        ("cafe\u{301} only", "cafe", nil, 0),
        ("a 👩\u{200D}👩\u{200D}👧 family", "👩", nil, 0),
        ("a 👩\u{200D}👩\u{200D}👧 and 👩 alone", "👩", 12, 1),
        ("flags 🇯🇵🇺🇸 here", "🇵🇺", nil, 0),
        ("flags 🇯🇵🇺🇸 here", "🇺🇸", 8, 1),
        ("line\r\nnext", "\r", nil, 0),
        ("e\u{301}e\u{301}", "e\u{301}", 0, 2),
    ] as [(String, String, Int?, Int)])
    func quotesMatchWholeCharacters(text: String, quote: String, start: Int?, wholeMatches: Int) throws {
        let document = DocumentText(text)
        if let start {
            let span = try document.span(quoting: quote, occurrence: wholeMatches > 1 ? 1 : nil)
            #expect(span.start == start)
        } else {
            #expect { try document.span(quoting: quote) } throws: { ($0 as? CoreError)?.code == .splitsCharacter }
        }
        if wholeMatches > 1 {
            #expect { try document.span(quoting: quote, occurrence: wholeMatches + 1) } throws: { ($0 as? CoreError)?.code == .occurrenceOutOfRange }
        }
    }

    @Test("Offsets inside a user-perceived character are reported, ends outside are not")
    func characterSplits() {
        let document = DocumentText("cafe\u{301} 🇯🇵!")
        #expect(document.characterSplits(start: 0, end: 4) == [4], "the e without its accent")
        #expect(document.characterSplits(start: 0, end: 5).isEmpty)
        #expect(document.characterSplits(start: 7, end: 8) == [7], "half a flag")
        #expect(document.characterSplits(start: 6, end: 9).isEmpty)
        #expect(document.characterBoundaries(among: [0, 4, 5, 9, 99]) == [0, 5, 9])
    }

    @Test("SHA-256 of the text")
    func sha() {
        #expect(DocumentText("abc").sha256 == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("Document size and title limits")
    func documentLimits() throws {
        let project = try ProjectID("p")
        let id = try DocumentID("d")
        #expect { try Document(id: id, project: project, title: "t", text: "12345", maximumBytes: 4) } throws: {
            ($0 as? CoreError)?.code == .valueTooLong
        }
        #expect { try Document(id: id, project: project, title: String(repeating: "t", count: 501), text: "x") } throws: {
            ($0 as? CoreError)?.code == .valueTooLong
        }
    }
}
