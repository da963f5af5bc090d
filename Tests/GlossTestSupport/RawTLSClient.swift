import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// A TLS connection that reads and writes raw bytes, for inputs the client library would never send.
public final class RawTLSClient: Sendable {
    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    /// Connects with TLS (no certificate check: the tests talk to their own server).
    public static func connect(host: String = "127.0.0.1", port: Int) async throws -> RawTLSClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification = .none
        let context = try NIOSSLContext(configuration: tls)
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: nil))
                    try channel.pipeline.syncOperations.addHandler(collector)
                }
            }
            .connect(host: host, port: port).get()
        return RawTLSClient(channel: channel, collector: collector)
    }

    /// Stops reading from the socket (lines already read stay readable), as a client that stops
    /// reading does: what the server writes then backs up in the sockets' buffers and in glossd.
    public func stopReading() async throws {
        try await channel.setOption(ChannelOptions.autoRead, value: false).get()
    }

    /// Sends bytes as they are and waits until they are written.
    public func write(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    }

    /// The next line received (without its line feed), waiting up to 30 s.
    public func readLine() async throws -> String {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if let line = collector.nextLine() { return line }
            if collector.isClosed { throw RawTLSClient.Closed(description: "the server closed the connection") }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw RawTLSClient.Closed(description: "no line within 30 s")
    }

    /// Closes without reading what is left.
    public func close() async {
        try? await channel.close().get()
    }

    /// The connection ended (or stayed silent) before a line arrived.
    public struct Closed: Error, CustomStringConvertible {
        public let description: String
    }

    /// Collects what the server sends.
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer

        private let received = Mutex<[UInt8]>([])
        private let closed = Mutex(false)

        var isClosed: Bool { closed.withLock { $0 } }

        func nextLine() -> String? {
            received.withLock { bytes in
                guard let newline = bytes.firstIndex(of: 0x0A) else { return nil }
                defer { bytes.removeFirst(newline + 1) }
                return String(decoding: bytes[..<newline], as: UTF8.self)
            }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            received.withLock { $0 += Array(buffer.readableBytesView) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLock { $0 = true }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
