import GlossCore
import GlossProtocol
public import GlossStore
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
public import ServiceLifecycle
import Synchronization

/// The Gloss server: the line protocol over TLS, on top of a ``GlossStore``.
///
/// A `Service`: run it in a `ServiceGroup` after the store's connection pool.
/// On graceful shutdown it stops accepting, lets in-flight requests finish
/// (their writes are durable before they are answered), says `* BYE
/// shutting-down` to every session and returns once all are closed.
public final class GlossServer: Service, Sendable {
    private let configuration: ServerConfiguration
    private let context: ServerContext
    private let limiter: ConnectionLimiter
    private let sessions = Mutex<[ObjectIdentifier: Session]>([:])
    private let boundPort = Mutex<Int?>(nil)
    private let listening = Mutex<[CheckedContinuation<Int, any Error>]>([])

    /// A server for `store` with `configuration`.
    public init(configuration: ServerConfiguration, store: GlossStore, logger: Logger) {
        self.configuration = configuration
        let directory = Directory()
        context = ServerContext(
            store: store, limits: configuration.limits, hub: EventHub(), directory: directory, documents: DocumentCache(),
            throttle: AuthenticationThrottle(maximumPerMinute: configuration.limits.maximumFailedAuthenticationsPerMinute),
            exports: ExportSlots(limit: configuration.limits.maximumExports), imports: ImportSequence(site: store.replica), logger: logger,
            replication: configuration.replication.map(ReplicationRuntime.init(settings:))
        )
        limiter = ConnectionLimiter(
            maximumTotal: configuration.limits.maximumConnections, maximumPerAddress: configuration.limits.maximumConnectionsPerAddress
        )
    }

    /// The port listened on, once bound.
    public var port: Int? { boundPort.withLock { $0 } }

    /// Waits until the server listens and returns its port.
    public func waitUntilListening() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Int? = boundPort.withLock { port in
                if port == nil { listening.withLock { $0.append(continuation) } }
                return port
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Listens and serves until graceful shutdown (or cancellation).
    public func run() async throws {
        let (context, limiter, configuration) = (context, limiter, configuration)
        let hub = context.hub
        await context.store.observeCommits { group in hub.publish(group) }
        let replicating = context.replication.map { replication in Task { await self.replicate(replication) } }
        defer { replicating?.cancel() }
        // Commits of other glossd processes on this database reach this one's subscribers and links too.
        let registry = context.replication?.registry
        let following = Task {
            await context.store.followOtherProcesses { group in
                hub.publish(group)
                registry?.wakeAll()
            }
        }
        defer { following.cancel() }
        let sslContext: NIOSSLContext
        do {
            sslContext = try NIOSSLContext(configuration: configuration.tls)
        } catch {
            throw ServerSetupError("the TLS configuration is not usable: \(error)")
        }
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.so_keepalive), value: 1)
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let address = channel.remoteAddress?.ipAddress ?? "unknown"
                        let rejection = limiter.admit(address)
                        if rejection == nil { channel.closeFuture.whenComplete { _ in limiter.release(address) } }
                        let handlers = channel.pipeline.syncOperations
                        try handlers.addHandler(TLSRequiredHandler())
                        try handlers.addHandler(NIOSSLServerHandler(context: sslContext))
                        try handlers.addHandler(ByteToMessageHandler(BoundedLineDecoder(maximumLength: configuration.limits.maximumLineBytes)))
                        let wrapped = try NIOAsyncChannel<InboundLine, ByteBuffer>(wrappingChannelSynchronously: channel)
                        return Connection(channel: wrapped, address: address, rejection: rejection)
                    }
                }
        } catch {
            throw ServerSetupError("cannot listen on \(configuration.host):\(configuration.port): \(error)")
        }
        let port = server.channel.localAddress?.port ?? configuration.port
        let waiting = boundPort.withLock { bound in
            bound = port
            return listening.withLock { list in
                defer { list.removeAll() }
                return list
            }
        }
        for continuation in waiting { continuation.resume(returning: port) }
        context.logger.notice("listening", metadata: ["address": "\(configuration.host):\(port)", "replica": "\(context.store.replica)"])
        let accessWatch = Task { await self.watchAccess() }
        defer { accessWatch.cancel() }

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onGracefulShutdown: {
            context.logger.notice("shutting down: no new connections; finishing requests in flight")
            server.channel.close(promise: nil)
            let open = self.sessions.withLock { Array($0.values) }
            Task { await withDiscardingTaskGroup { group in for session in open { group.addTask { await session.drain() } } } }
        }
        // Dialed links say GOODBYE and record how they ended while the store still runs.
        replicating?.cancel()
        await replicating?.value
        context.logger.notice("stopped")
    }

    /// Begins this start's incarnation (once the schema is in place: start-up checks
    /// or migrates it meanwhile), wakes links on every commit, and dials the
    /// configured peers until cancelled.
    private func replicate(_ replication: ReplicationRuntime) async {
        let incarnation: UInt64
        while true {
            do throws(StoreError) {
                incarnation = try await replication.begin(context.store)
                break
            } catch {
                context.logger.debug("waiting for the database before replicating", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(1)) } catch { return }
            }
        }
        do throws(StoreError) {
            // A site that has never linked has no history elsewhere to compare with.
            if try await context.store.peerSites().isEmpty { await context.store.confirmIdentity() }
        } catch {
            context.logger.warning("cannot read the peer sites; local writes wait for a peer", metadata: ["error": "\(error)"])
        }
        let registry = replication.registry
        await context.store.observeCommits { group in registry.deliver(group.operations) }
        let dialer = PeerDialer(
            settings: replication.settings, store: context.store, registry: registry, limits: context.limits, incarnation: incarnation,
            logger: context.logger
        )
        context.logger.notice("replicating", metadata: ["site": "\(replication.settings.site)", "incarnation": "\(incarnation)"])
        await dialer.run()
    }

    /// Every ``ServerLimits/accessCheckInterval``, asks the database whether access
    /// changed; when it did, rechecks the token of every open session in one query,
    /// so a revoked token or a changed role reaches sessions opened before it.
    private func watchAccess() async {
        var checked: Int64?
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: context.limits.accessCheckInterval)
            } catch {
                return
            }
            do throws(StoreError) {
                let version = try await context.store.accessVersion()
                guard version != checked else { continue }
                let open = sessions.withLock { Array($0.values) }
                let tokens = Set(open.compactMap(\.tokenID))
                let latest = try await context.store.principals(forTokens: Array(tokens))
                for session in open { session.reviewAccess(latest) }
                checked = version
            } catch {
                context.logger.warning("cannot recheck access; will retry", metadata: ["error": "\(error)"])
            }
        }
    }

    private struct Connection: Sendable {
        let channel: NIOAsyncChannel<InboundLine, ByteBuffer>
        let address: String
        let rejection: ProtocolError?
    }

    private func serve(_ connection: Connection) async {
        let logger = context.logger
        let session = Session(address: connection.address, context: context, logger: logger)
        let id = ObjectIdentifier(session)
        sessions.withLock { $0[id] = session }
        defer { sessions.withLock { _ = $0.removeValue(forKey: id) } }
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                await session.run(inbound: inbound, outbound: outbound, channel: connection.channel.channel, rejection: connection.rejection)
            }
        } catch {
            logger.debug("connection closed with an error", metadata: ["address": "\(connection.address)", "error": "\(error)"])
        }
    }
}
