public import NIOCore
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// One line read from a connection, or the news that a line was too long.
public enum InboundLine: Sendable {
    /// A complete line, without its line feed.
    case line(ByteBuffer)
    /// A line longer than the limit: its first bytes (to find the tag) and its length.
    /// The rest of it was discarded, so the connection carries on with the next line.
    case tooLong(prefix: ByteBuffer, length: Int)
}

/// Splits the inbound bytes at line feeds, with a length limit that does not
/// cost the connection: an overlong line is skipped up to its line feed and
/// reported, and the session answers it with `line-too-long`.
///
/// Memory stays bounded by the limit: bytes of an overlong line are dropped as they arrive.
public struct BoundedLineDecoder: ByteToMessageDecoder {
    public typealias InboundOut = InboundLine

    /// How many leading bytes of an overlong line are kept to find its tag.
    static let prefixLength = 80

    private let maximumLength: Int
    private var searched = 0
    private var skipping: (prefix: ByteBuffer, length: Int)?

    /// A decoder refusing lines longer than `maximumLength` bytes.
    public init(maximumLength: Int) {
        self.maximumLength = maximumLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        let view = buffer.readableBytesView
        let newline = Self.newline(in: buffer, after: searched)
        if var skipped = skipping {
            guard let newline else {
                skipped.length += buffer.readableBytes
                skipping = skipped
                buffer.moveReaderIndex(to: buffer.writerIndex)
                return .needMoreData
            }
            skipped.length += newline - view.startIndex
            buffer.moveReaderIndex(to: newline + 1)
            skipping = nil
            searched = 0
            context.fireChannelRead(wrapInboundOut(.tooLong(prefix: skipped.prefix, length: skipped.length)))
            return .continue
        }
        guard let newline else {
            if buffer.readableBytes > maximumLength {
                skipping = (Self.prefix(of: buffer), buffer.readableBytes)
                buffer.moveReaderIndex(to: buffer.writerIndex)
                searched = 0
            } else {
                searched = buffer.readableBytes
            }
            return .needMoreData
        }
        let length = newline - view.startIndex
        searched = 0
        if length > maximumLength {
            let prefix = Self.prefix(of: buffer)
            buffer.moveReaderIndex(to: newline + 1)
            context.fireChannelRead(wrapInboundOut(.tooLong(prefix: prefix, length: length)))
        } else {
            let line = buffer.readSlice(length: length)!
            buffer.moveReaderIndex(forwardBy: 1)
            context.fireChannelRead(wrapInboundOut(.line(line)))
        }
        return .continue
    }

    /// The index of the first line feed among the readable bytes past the first `skipped`,
    /// found with `memchr` (a line of megabytes arrives in many reads, and the event loop
    /// it runs on serves other connections too).
    private static func newline(in buffer: ByteBuffer, after skipped: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard skipped < bytes.count, let base = bytes.baseAddress else { return nil }
            guard let found = memchr(base + skipped, Int32(UInt8(ascii: "\n")), bytes.count - skipped) else { return nil }
            return buffer.readerIndex + (base.distance(to: UnsafeRawPointer(found)))
        }
    }

    private static func prefix(of buffer: ByteBuffer) -> ByteBuffer {
        buffer.getSlice(at: buffer.readerIndex, length: min(prefixLength, buffer.readableBytes)) ?? ByteBuffer()
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        // A last line without its line feed is dropped: a request ends with LF.
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
