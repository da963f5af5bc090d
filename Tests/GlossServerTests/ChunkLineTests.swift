import Foundation
import GlossProtocol
@testable import GlossServer
import NIOCore
import Testing

@Suite("EXPORT chunk lines")
struct ChunkLineTests {
    @Test("A chunk line written straight into a buffer is the line LinePrinter prints, and reads back to the same bytes")
    func sameAsPrinted() throws {
        var generator = SystemRandomNumberGenerator()
        for length in [0, 1, 2, 3, 47, 48 * 1024] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let fast = ExportStreamer.chunkLine(bytes[...], count: length * 7, tag: "c12")
            let line = Line(tag: "c12", word: ExportQuery.chunkWord, arguments: [
                .named(key: "count", value: String(length * 7)), .named(key: "data", value: Data(bytes).base64EncodedString()),
            ])
            #expect(String(buffer: fast) == LinePrinter.print(line) + "\n")
            let parsed = try LineParser.parse(String(String(buffer: fast).dropLast()))
            #expect(parsed["data"].flatMap { Data(base64Encoded: $0) } == Data(bytes))
        }
    }
}
