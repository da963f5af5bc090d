import Foundation
import GlossCore
import GlossExport
import Testing

@Suite("Offsets in UTF-16 units and UTF-8 bytes, from code points")
struct OffsetIndexTests {
    @Test("Every code point offset of a mixed text maps to the units Swift's own views count")
    func matchesViews() {
        let text = DocumentText("a👨🏻‍🚒 é\u{301} 東京\r\nz\u{1F600}")
        let index = OffsetIndex(text)
        #expect(index.count == text.count)
        for offset in 0...text.count {
            let prefix = String(String.UnicodeScalarView(text.scalars[..<offset]))
            #expect(index.utf16Offset(offset) == prefix.utf16.count, "offset \(offset)")
            #expect(index.utf8Offset(offset) == prefix.utf8.count, "offset \(offset)")
        }
        #expect(index.utf16Offset(2) == 3, "an emoji outside the BMP is two UTF-16 units")
        #expect(index.utf8Offset(2) == 5)
    }
}

@Suite("JSON writing")
struct JSONWriterTests {
    @Test("Keys keep their order; strings are escaped as RFC 8259 requires, and U+2028/U+2029 too")
    func escaping() {
        var writer = JSONWriter()
        writer.beginObject()
        writer.string("q\"\\\n\r\t\u{1}\u{1F}\u{2028}\u{2029}é😀<script>", for: "b")
        writer.number(-3, for: "a")
        writer.beginArray(for: "list")
        writer.bool(true)
        writer.null()
        writer.string("x")
        writer.endArray()
        writer.beginObject(for: "empty")
        writer.endObject()
        writer.endObject()
        let text = String(decoding: writer.bytes, as: UTF8.self)
        #expect(text == #"{"b":"q\"\\\n\r\t\u0001\u001f\u2028\u2029é😀<script>","a":-3,"list":[true,null,"x"],"empty":{}}"#)
    }

    @Test("Escaping byte runs gives what escaping each code point gives, and reads back as the same string, for 2,000 random mixes of tricky characters")
    func escapingMatchesReference() throws {
        let pool: [Unicode.Scalar] = ["a", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1B}", "\u{7F}", "\u{85}", "\u{2028}", "\u{2029}", "\u{2027}", "\u{202A}", "é", "\u{301}", "😀", "\u{200D}", "中", "\u{FEFF}", "/"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &generator) { scalars.append(pool.randomElement(using: &generator)!) }
            let text = String(scalars)
            var fast: [UInt8] = []
            JSONWriter.appendString(text, to: &fast)
            var reference: [UInt8] = [UInt8(ascii: "\"")]
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": reference += Array(#"\""#.utf8)
                case "\\": reference += Array(#"\\"#.utf8)
                case "\n": reference += Array(#"\n"#.utf8)
                case "\r": reference += Array(#"\r"#.utf8)
                case "\t": reference += Array(#"\t"#.utf8)
                case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                    reference += Array(("\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)).utf8)
                default: reference += Array(String(scalar).utf8)
                }
            }
            reference.append(UInt8(ascii: "\""))
            #expect(fast == reference, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            let decoded = try JSONSerialization.jsonObject(with: Data(fast), options: [.fragmentsAllowed]) as? String
            // Foundation's JSON reader drops some U+FEFF inside strings; every other code point reads back.
            if !text.unicodeScalars.contains("\u{FEFF}") {
                #expect(decoded.map { Array($0.unicodeScalars) == Array(text.unicodeScalars) } == true, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
            }
        }
        var writer = JSONWriter()
        writer.time(HLCTimestamp(milliseconds: 951_782_400_007, logical: 3))
        #expect(writer.bytes == Array(#""2000-02-29T00:00:00.007Z""#.utf8))
    }

    @Test("Timestamps print as RFC 3339 UTC with milliseconds")
    func timestamps() {
        #expect(HLCTimestamp(milliseconds: 0, logical: 0).iso8601 == "1970-01-01T00:00:00.000Z")
        #expect(HLCTimestamp(milliseconds: 1_764_706_074_123, logical: 5).iso8601 == "2025-12-02T20:07:54.123Z")
        #expect(HLCTimestamp(milliseconds: 951_782_400_007, logical: 0).iso8601 == "2000-02-29T00:00:00.007Z")
        #expect(HLCTimestamp(milliseconds: 4_102_444_799_999, logical: 0).iso8601 == "2099-12-31T23:59:59.999Z")
    }
}
