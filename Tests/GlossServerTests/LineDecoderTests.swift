import GlossProtocol
@testable import GlossServer
import NIOCore
import NIOEmbedded
import Testing

/// The server's line framing, with an embedded channel (no sockets).
@Suite("Line framing and connection accounting")
struct LineDecoderTests {
    private func decode(_ chunks: [String], limit: Int = 16) throws -> [String] {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(BoundedLineDecoder(maximumLength: limit)))
        var seen: [String] = []
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(string: chunk))
            while let item = try channel.readInbound(as: InboundLine.self) {
                switch item {
                case .line(let buffer): seen.append(String(buffer: buffer))
                case .tooLong(let prefix, let length): seen.append("TOO-LONG(\(length)):\(String(buffer: prefix).prefix(4))")
                }
            }
        }
        _ = try channel.finish()
        return seen
    }

    @Test("Lines split across reads, several lines in one read, CRLF kept for the parser")
    func splitting() throws {
        #expect(try decode(["a1 PI", "NG\nb2 PING\r\nc3", " X\n"]) == ["a1 PING", "b2 PING\r", "c3 X"])
        #expect(try decode(["\n\n"]) == ["", ""])
    }

    @Test("An overlong line is skipped up to its line feed and reported; the next line is read normally")
    func overlong() throws {
        #expect(try decode(["t1 " + String(repeating: "x", count: 30) + "\nt2 OK\n"]) == ["TOO-LONG(33):t1 x", "t2 OK"])
        #expect(try decode(["t1 xxxxxxxxxxxxxxxxxxxx", "yyyyyyyyyy", "zz\nt2 OK\n"]) == ["TOO-LONG(35):t1 x", "t2 OK"])
        #expect(try decode([String(repeating: "a", count: 16) + "\n"]) == [String(repeating: "a", count: 16)], "exactly the limit is fine")
    }

    @Test("Property: any bytes in any chunks give the same lines as splitting the whole at line feeds")
    func chunking() throws {
        for seed in UInt64(1)...300 {
            var state = seed &* 0x9E37_79B9_7F4A_7C15
            func next(_ bound: Int) -> Int {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Int((state >> 33) % UInt64(bound))
            }
            let bytes = (0..<next(200)).map { _ in next(4) == 0 ? UInt8(ascii: "\n") : UInt8(next(256)) }
            var chunks: [[UInt8]] = []
            var rest = bytes[...]
            while !rest.isEmpty {
                let size = 1 + next(40)
                chunks.append(Array(rest.prefix(size)))
                rest = rest.dropFirst(size)
            }
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(BoundedLineDecoder(maximumLength: 16)))
            var seen: [String] = []
            for chunk in chunks {
                try channel.writeInbound(ByteBuffer(bytes: chunk))
                while let item = try channel.readInbound(as: InboundLine.self) {
                    switch item {
                    case .line(let buffer): seen.append("L\(Array(buffer.readableBytesView))")
                    case .tooLong(_, let length): seen.append("T\(length)")
                    }
                }
            }
            _ = try channel.finish()
            var expected = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
                line.count > 16 ? "T\(line.count)" : "L\(Array(line))"
            }
            expected.removeLast()  // the part after the last line feed is not a line
            #expect(seen == expected, "seed \(seed)")
        }
    }

    @Test("Connection limits count per address and release")
    func limiter() {
        let limiter = ConnectionLimiter(maximumTotal: 3, maximumPerAddress: 2)
        #expect(limiter.admit("a") == nil)
        #expect(limiter.admit("a") == nil)
        #expect(limiter.admit("a")?.code == .tooManyConnections)
        #expect(limiter.admit("b") == nil)
        #expect(limiter.admit("c")?.code == .tooManyConnections, "the total is reached")
        limiter.release("a")
        #expect(limiter.admit("c") == nil)
        #expect(limiter.open == 3)
    }

    @Test("Failed authentications throttle an address for the rest of the minute")
    func throttle() {
        let throttle = AuthenticationThrottle(maximumPerMinute: 2)
        let start = ContinuousClock.now
        #expect(throttle.retryAfter("x", now: start) == nil)
        throttle.recordFailure("x", now: start)
        throttle.recordFailure("x", now: start + .seconds(1))
        #expect(throttle.retryAfter("x", now: start + .seconds(2)) == 59)
        #expect(throttle.retryAfter("y", now: start + .seconds(2)) == nil, "other addresses are not affected")
        #expect(throttle.retryAfter("x", now: start + .seconds(61)) == nil, "old failures expire")
    }
}
