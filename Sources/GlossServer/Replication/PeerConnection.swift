import NIOCore
import NIOPosix
import NIOSSL

/// A TLS connection to a peer site's port, presenting this site's certificate
/// and trusting only servers whose certificate the cluster CA signed.
enum PeerConnection {
    /// Connects to `host:port`; lines longer than `maximumLineBytes` arrive as ``InboundLine/tooLong(prefix:length:)``.
    static func open(host: String, port: Int, settings: ReplicationSettings, maximumLineBytes: Int) async throws -> NIOAsyncChannel<InboundLine, ByteBuffer> {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(settings.clusterAuthority)
        tls.certificateChain = settings.certificateChain.map { .certificate($0) }
        tls.privateKey = .privateKey(settings.privateKey)
        tls.certificateVerification = .fullVerification
        let context = try NIOSSLContext(configuration: tls)
        let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host))
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(BoundedLineDecoder(maximumLength: maximumLineBytes)))
                    return try NIOAsyncChannel<InboundLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}
