import GlossCoreTesting
import NIOCore
import NIOPosix
import Synchronization

/// A small TCP proxy that injects faults between two sites, for replication
/// tests: it forwards bytes both ways and, by a seeded schedule, delays them,
/// stalls them for seconds, or cuts the connection in the middle of whatever
/// is passing (a batch, a greeting). It can also refuse every connection (a
/// cut link) until healed. TLS passes through untouched.
public final class FaultProxy: Sendable {
    /// How often each fault strikes, per chunk of bytes forwarded.
    public struct Faults: Sendable {
        /// Chance that a chunk is delayed by 10–200 ms.
        public var delay: Double
        /// Chance that a chunk stalls the connection for 1–3 s.
        public var stall: Double
        /// Chance that the connection is cut at a chunk.
        public var cut: Double

        /// No faults: a plain proxy.
        public static let none = Faults(delay: 0, stall: 0, cut: 0)
        /// Frequent faults of every kind.
        public static let hostile = Faults(delay: 0.05, stall: 0.01, cut: 0.01)

        /// Creates a schedule.
        public init(delay: Double, stall: Double, cut: Double) {
            self.delay = delay
            self.stall = stall
            self.cut = cut
        }
    }

    /// The proxy's state, shared by its connections.
    private final class Shared: Sendable {
        let state: Mutex<State>
        init(_ state: State) { self.state = Mutex(state) }
        func withLock<Result>(_ body: (inout State) -> Result) -> Result { state.withLock { body(&$0) } }
    }

    private struct State {
        var random: SeededRandom
        var faults: Faults
        var refusing = false
        var open: [ObjectIdentifier: any Channel] = [:]
        var cuts = 0
        var stalls = 0
        var delays = 0
    }

    /// The port the proxy listens on (loopback).
    public let port: Int
    private let server: any Channel
    private let state: Shared

    /// Starts a proxy on a free loopback port, forwarding to `targetPort` on loopback.
    public init(to targetPort: Int, seed: UInt64, faults: Faults = .none) async throws {
        let state = Shared(State(random: SeededRandom(seed: seed), faults: faults))
        self.state = state
        let group = MultiThreadedEventLoopGroup.singleton
        server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                let refusing = state.withLock { $0.refusing }
                if refusing { return inbound.close() }
                return ClientBootstrap(group: inbound.eventLoop)
                    .channelOption(.autoRead, value: false)
                    .connect(host: "127.0.0.1", port: targetPort)
                    .flatMap { outbound in
                        let (forward, backward) = (Relay(state: state), Relay(state: state))
                        forward.partner = outbound
                        backward.partner = inbound
                        state.withLock { state in
                            state.open[ObjectIdentifier(inbound)] = inbound
                            state.open[ObjectIdentifier(outbound)] = outbound
                        }
                        // Each relay asks for the first bytes once its channel is active (reads are manual, for back-pressure).
                        return inbound.pipeline.addHandler(forward).flatMap { outbound.pipeline.addHandler(backward) }
                    }
                    .flatMapError { _ in inbound.close() }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = server.localAddress?.port ?? 0
    }

    /// Changes the fault schedule from now on.
    public func set(_ faults: Faults) {
        state.withLock { $0.faults = faults }
    }

    /// Cuts every open connection and refuses new ones until ``heal()``.
    public func cutLink() {
        let open = state.withLock { state in
            state.refusing = true
            defer { state.open.removeAll() }
            return Array(state.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    /// Accepts connections again (with no faults).
    public func heal() {
        state.withLock { state in
            state.refusing = false
            state.faults = .none
        }
    }

    /// How many cuts, stalls and delays the proxy has injected.
    public var injected: (cuts: Int, stalls: Int, delays: Int) { state.withLock { ($0.cuts, $0.stalls, $0.delays) } }

    /// Stops listening and closes every connection.
    public func close() async {
        cutLink()
        try? await server.close()
    }

    /// Forwards what one side reads to the other, applying the schedule.
    private final class Relay: ChannelDuplexHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        private let state: Shared
        var partner: (any Channel)?
        /// When the last chunk is released, so delayed chunks keep their order.
        private var releaseAt = NIODeadline.now()

        init(state: Shared) {
            self.state = state
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            guard let partner else { return }
            enum Decision { case pass, delay(Int64), cut }
            let decision: Decision = state.withLock { state in
                if state.random.chance(state.faults.cut) {
                    state.cuts += 1
                    return .cut
                }
                if state.random.chance(state.faults.stall) {
                    state.stalls += 1
                    return .delay(Int64.random(in: 1_000...3_000, using: &state.random))
                }
                if state.random.chance(state.faults.delay) {
                    state.delays += 1
                    return .delay(Int64.random(in: 10...200, using: &state.random))
                }
                return .pass
            }
            switch decision {
            case .cut:
                // Forward part of the chunk, then cut: the other side sees a line broken off.
                var part = buffer
                if let half = part.readSlice(length: buffer.readableBytes / 2) { partner.writeAndFlush(half, promise: nil) }
                context.close(promise: nil)
                partner.close(promise: nil)
                return
            case .pass, .delay:
                var delay: Int64 = 0
                if case .delay(let milliseconds) = decision { delay = milliseconds }
                let target = max(releaseAt, NIODeadline.now() + .milliseconds(delay))
                releaseAt = target
                let channel = context.channel
                if target <= NIODeadline.now() {
                    partner.writeAndFlush(buffer).whenComplete { _ in channel.read() }
                } else {
                    context.eventLoop.scheduleTask(deadline: target) {
                        partner.writeAndFlush(buffer).whenComplete { _ in channel.read() }
                    }
                }
            }
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { context.read() }
        }

        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelInactive(context: ChannelHandlerContext) {
            partner?.close(promise: nil)
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
