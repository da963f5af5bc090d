public import NIOCore

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
        let newline = view.dropFirst(searched).firstIndex(of: UInt8(ascii: "\n"))
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
