import GlossProtocol
public import NIOCore

/// The first handler of a connection: a client whose first byte does not
/// start a TLS handshake gets a plaintext `* BYE tls-required …` and is
/// closed; otherwise the handler steps aside.
public final class TLSRequiredHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// The first byte of a TLS record carrying a handshake.
    static let handshakeRecord: UInt8 = 0x16

    /// Creates the handler.
    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        guard let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return }
        if first == Self.handshakeRecord {
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        let bye = Reply.bye(ProtocolError(.tlsRequired, "this port speaks TLS only: connect with TLS (for example: openssl s_client -connect HOST:PORT)"))
        let text = LinePrinter.print(bye) + "\r\n"
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(string: text)), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }
}
