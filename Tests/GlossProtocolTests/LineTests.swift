import GlossProtocol
import PropertyBased
import Testing

@Suite("Protocol lines")
struct LineTests {
    @Test("A hand-typed request parses into tag, verb and arguments")
    func handTyped() throws {
        let line = try LineParser.parse("a1 add  japan-us quote=\"Lloyd Austin\" occurrence=2 label=PERSON \"a note with \\\"quotes\\\"\"\r")
        #expect(line.tag == "a1")
        #expect(line.word == "ADD")
        #expect(line.positional == ["japan-us", "a note with \"quotes\""])
        #expect(line["quote"] == "Lloyd Austin")
        #expect(line["occurrence"] == "2")
        #expect(line["missing"] == nil)
        #expect(line.description == "a1 ADD japan-us quote=\"Lloyd Austin\" occurrence=2 label=PERSON \"a note with \\\"quotes\\\"\"")
    }

    @Test("Untagged lines, escapes and non-ASCII values")
    func untaggedAndEscapes() throws {
        let line = try LineParser.parse("* EVENT note=\"line one\\nline two\\t\\u{1F1EF}\\u{1F1F5}\" quote=東京 x=a=b")
        #expect(line.isUntagged)
        #expect(line["note"] == "line one\nline two\t🇯🇵")
        #expect(line["quote"] == "東京")
        #expect(line["x"] == "a=b")
    }

    @Test("The examples in docs/PROTOCOL.md parse and print back as written")
    func documentedExamples() throws {
        let examples = [
            #"a1 ADD doc=japan-us quote="Lloyd Austin" occurrence=1 label=PERSON"#,
            #"a1 ADD doc=japan-us quote=東京 note="two lines:\nsecond""#,
            #"* EVENT note="tab\there" flag="\u{1F1EF}\u{1F1F5}""#,
        ]
        let parsed = try examples.map { try LineParser.parse($0) }
        #expect(parsed[1]["note"] == "two lines:\nsecond")
        #expect(parsed[2]["flag"] == "🇯🇵")
        #expect(LinePrinter.print(parsed[0]) == examples[0])
        #expect(LinePrinter.print(parsed[1]) == examples[1])
    }

    @Test("A positional value like key= followed by a combining mark is quoted, so it reads back positional")
    func combiningMarkAfterEquals() throws {
        let line = Line(tag: "t", word: "X", arguments: [.positional("a=\u{301}*")])
        #expect(LinePrinter.print(line) == "t X \"a=\u{301}*\"")
        #expect(try LineParser.parse(LinePrinter.print(line)) == line)
    }

    @Test("Malformed lines are refused with their codes", arguments: [
        ("", "malformed"), ("   ", "malformed"), ("a1", "malformed"), ("bad/tag PING", "malformed"),
        ("a1 P1NG", "malformed"), ("a1 ADD \"open", "malformed"),
        ("a1 ADD \"bad \\q escape\"", "malformed"), ("a1 ADD \"x\"y", "malformed"), ("a1 ADD va\"lue", "malformed"),
        ("a1 ADD \"\\u{110000}\"", "malformed"), ("a1 ADD \"\\u{}\"", "malformed"), ("a1 ADD \"tab\there\"", "malformed"),
        (String(repeating: "x", count: 40) + " PING", "malformed"),
    ])
    func malformed(text: String, code: String) {
        #expect { try LineParser.parse(text) } throws: { ($0 as? ProtocolError)?.code.rawValue == code }
    }

    @Test("Byte-level limits: overlong lines and invalid UTF-8")
    func byteLimits() {
        #expect { try LineParser.parse(Array("a1 PING ".utf8) + Array(repeating: UInt8(ascii: "x"), count: 100), maximumLength: 64) } throws: {
            ($0 as? ProtocolError)?.code == .lineTooLong
        }
        #expect { try LineParser.parse([0x61, 0x31, 0x20, 0xC3, 0x28]) } throws: { ($0 as? ProtocolError)?.code == .invalidUTF8 }
    }

    @Test("Property: printing then parsing gives the same line")
    func roundTrip() async {
        let tagCharacters = Array("abcXYZ019._-")
        let valueScalars: [Unicode.Scalar] = ["a", "Z", "0", " ", "\t", "\"", "\\", "=", "\n", "\r", "\u{0}", "\u{7F}", "é", "e", "\u{301}", "東", "🇯", "\u{2028}", "*"]
        await propertyCheck(count: 500, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = Xorshift(seed: seed)
            let tag = random.next() % 5 == 0 ? "*" : String((0..<(1 + Int(random.next() % 8))).map { _ in tagCharacters[Int(random.next() % UInt64(tagCharacters.count))] })
            let word = String((0..<(1 + Int(random.next() % 6))).map { _ in Array("ABCDOK-")[Int(random.next() % 7)] })
            var arguments: [Argument] = []
            for _ in 0..<Int(random.next() % 5) {
                var value = ""
                for _ in 0..<Int(random.next() % 6) { value.unicodeScalars.append(valueScalars[Int(random.next() % UInt64(valueScalars.count))]) }
                arguments.append(random.next() % 2 == 0 ? .positional(value) : .named(key: ["label", "note", "q-1", "x_y"][Int(random.next() % 4)], value: value))
            }
            let line = Line(tag: tag, word: word, arguments: arguments)
            let printed = LinePrinter.print(line)
            #expect(!printed.unicodeScalars.contains("\n"), "a printed line never contains a line feed")
            let parsed = try? LineParser.parse(printed)
            #expect(parsed == line, "printed: \(printed)")
        }
    }

    @Test("Property: junk never crashes the parser, and what parses prints back to itself")
    func junk() async {
        await propertyCheck(count: 3_000, input: Gen.uint8(in: 0...255).array(of: 0...60)) { bytes in
            let candidates = [bytes, Array("a1 X ".utf8) + bytes, Array("t SET k=".utf8) + bytes]
            for candidate in candidates {
                guard let line = try? LineParser.parse(candidate) else { continue }
                #expect((try? LineParser.parse(LinePrinter.print(line))) == line)
            }
        }
    }
}

/// A tiny deterministic generator for property bodies.
struct Xorshift {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}
