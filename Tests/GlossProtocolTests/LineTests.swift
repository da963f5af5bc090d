import Foundation
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
        ("a1 ADD \"\\u{+41}\"", "malformed"), ("a1 ADD \"\\u{-0}\"", "malformed"), ("a1 ADD \"\\u{+0}\"", "malformed"), ("a1 ADD \"\\u{ 41}\"", "malformed"),
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
        let valueScalars: [Unicode.Scalar] = ["a", "Z", "0", " ", "\t", "\"", "\\", "=", "\n", "\r", "\u{1}", "\u{7F}", "\u{85}", "\u{202E}", "é", "e", "\u{301}", "東", "🇯", "\u{2028}", "*"]
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

/// Hostile lines: values that cannot be stored, junk that must cost little, errors that must not echo.
@Suite("Protocol lines under attack")
struct HostileLineTests {
    @Test("\\u{0} (NUL) is refused in any value with invalid-character; other escapes are fine")
    func nulRefused() throws {
        for text in [#"a1 ADD doc=d note="a\u{0}b""#, #"a1 LIST label="\u{0}""#, #"a1 ADD doc=d start=0 end=1 key="k\u{00}""#, #"a1 X "\u{0}""#] {
            #expect { try LineParser.parse(text) } throws: { ($0 as? ProtocolError)?.code == .invalidCharacter }
        }
        #expect(try LineParser.parse(#"a1 X v="\u{1}\u{7f}""#)["v"] == "\u{1}\u{7F}")
    }

    @Test("A junk line is refused after reading its first few dozen bytes, however long it is")
    func junkIsCheap() throws {
        // A 2,000,000-byte line of which only the first page (and the last, for the CR check) is readable:
        // reading anything in between would crash the test.
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        let length = 2_000_000
        let mapped = (length / pageSize + 1) * pageSize
        let region = try #require(mmap(nil, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0))
        defer { munmap(region, mapped) }
        let lastPage = (length - 1) / pageSize * pageSize
        #expect(mprotect(region + pageSize, lastPage - pageSize, PROT_NONE) == 0)
        for head in ["\u{FF}\u{FE}junk", String(repeating: "x", count: 200), "a1 " + String(repeating: "Y", count: 200), "a1 PING\u{1}junk", "* \u{1B}[2J"] {
            let bytes = region.assumingMemoryBound(to: UInt8.self)
            bytes.initialize(repeating: 0, count: pageSize)
            for (index, byte) in head.utf8.enumerated() { bytes[index] = byte }
            #expect(throws: ProtocolError.self) { try LineParser.parse(UnsafeBufferPointer(start: bytes, count: length), maximumLength: 3_000_000) }
        }
    }

    @Test("An error quotes at most a short, escaped excerpt of what it refuses")
    func errorsDoNotEcho() throws {
        let junk = String(repeating: "\u{1B}[2J", count: 500_000)
        let lines = [
            junk, "a1 " + junk, "a1 ADD " + junk, "a1 ADD doc=" + junk, "a1 LIST deleted=" + junk, "a1 LIST limit=" + junk,
            "a1 ADD doc=d quote=" + junk + " bogus=1", "a1 GET id=" + junk, "a1 LIST status=" + junk,
            "a1 ADD " + (0..<5_000).map { "k\($0)=v" }.joined(separator: " "),
        ]
        for text in lines {
            var error: ProtocolError?
            do {
                _ = try Request(parsing: try LineParser.parse(Array(text.utf8), maximumLength: .max))
            } catch let caught {
                error = caught
            }
            let reply = LinePrinter.print(Reply.error("a1", try #require(error, "\(text.prefix(40)) is refused")))
            #expect(reply.utf8.count < 1_200, "\(reply.prefix(200))")
            #expect(!reply.unicodeScalars.contains("\u{1B}"))
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
