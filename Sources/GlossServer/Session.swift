import GlossCore
import GlossProtocol
import GlossReplication
import GlossStore
import Logging
import NIOCore
import NIOSSL
import Synchronization

/// One client connection: greets, reads request lines, authenticates, runs
/// requests concurrently up to the in-flight limit, pushes events, and closes
/// on `QUIT`, time-outs, shutdown or when the client goes away.
///
/// `HELLO`, `AUTH` and `QUIT` run in order with the reading of lines, so a
/// request pipelined after `AUTH` already sees the session authenticated.
final class Session: Sendable {
    private struct State {
        var principal: Principal?
        var inFlight = 0
        /// Bytes of the request lines being worked on.
        var inFlightBytes = 0
        /// The reading loop, waiting for requests in flight to finish (see ``waitForRoom(_:)``).
        var roomWaiter: CheckedContinuation<Void, Never>?
        var lastActivity = ContinuousClock.now
        /// Subscriptions by number: the hub's key and the project followed.
        var subscriptions: [Int: (key: Int, project: ProjectID)] = [:]
        var nextSubscription = 1
        var draining = false
        var closing = false
        var quitTag: String?
        var watchdog: Task<Void, Never>?
        var channel: (any Channel)?
        /// The replication link this connection carries, once `PEER` was accepted.
        var link: PeerLink?
    }

    let address: String
    private let context: ServerContext
    private let outbox: Outbox
    private let turns: TurnGate
    private let state = Mutex(State())
    private let started = ContinuousClock.now
    private let logger: Logger

    init(address: String, context: ServerContext, logger: Logger) {
        self.address = address
        self.context = context
        self.logger = logger
        outbox = Outbox(maximumQueuedEvents: context.limits.maximumQueuedEvents, maximumQueuedBytes: context.limits.maximumQueuedBytes)
        turns = TurnGate(limit: context.limits.maximumRunningPerConnection)
    }

    /// Serves the connection until it ends. `rejection` is sent (and the connection closed) instead, when set.
    func run(
        inbound: NIOAsyncChannelInboundStream<InboundLine>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel,
        rejection: ProtocolError?
    ) async {
        state.withLock { $0.channel = channel }
        let writer = Task { await outbox.run { try await outbound.write($0) } }
        if let rejection {
            close(with: rejection)
            await writer.value
            try? await channel.close()
            return
        }
        outbox.send([context.greeting.line])
        restartWatchdog()
        var lines = inbound.makeAsyncIterator()
        var quitting = false
        var peerSite: String?
        await withDiscardingTaskGroup { requests in
            do {
                reading: while let item = try await lines.next() {
                    switch await receive(item, requests: &requests) {
                    case .more: continue
                    case .quit:
                        quitting = true
                        break reading
                    case .peer(let site):
                        peerSite = site
                        break reading
                    }
                }
            } catch {
                logger.debug("connection ended", metadata: ["error": "\(error)"])
            }
        }
        if let peerSite, let replication = context.replication, let incarnation = replication.incarnation {
            state.withLock { $0.watchdog.take() }?.cancel()
            let link = PeerLink(
                remoteSite: peerSite, address: address, direction: .accepted, store: context.store, settings: replication.settings,
                maximumLineBytes: context.limits.maximumLineBytes, maximumDocumentBytes: context.limits.maximumDocumentBytes, outbox: outbox,
                closeConnection: { channel.close(promise: nil) }, logger: logger
            )
            let draining = state.withLock { state in
                state.link = link
                return state.draining
            }
            if draining { link.stop(.shuttingDown) }
            _ = await link.run(lines: &lines, registry: replication.registry, incarnation: incarnation)
            state.withLock { $0.closing = true }
            outbox.finish()
            await writer.value
            try? await channel.close()
            return
        }
        let (keys, quitTag, watchdog) = state.withLock { state in
            state.closing = true
            return (state.subscriptions.values.map(\.key), state.quitTag, state.watchdog.take())
        }
        watchdog?.cancel()
        for key in keys { context.hub.remove(key) }
        if let quitTag { outbox.send([Reply.ok(quitTag, [.named(key: "bye", value: "yes")])]) }
        outbox.finish()
        if quitting {
            // The client may still be sending: read and drop its input while the last replies go
            // out, and for a grace period after. Closing with unread input would make the kernel
            // reset the connection and throw away replies the client has not read yet.
            let closer = Task {
                await writer.value
                try? await Task.sleep(for: Self.closingGrace)
                try? await channel.close()
            }
            do {
                while try await lines.next() != nil {}
            } catch {}
            closer.cancel()
        }
        await writer.value
        try? await channel.close()
    }

    /// What the reading loop does after a line.
    private enum Next {
        /// Read the next line.
        case more
        /// Stop reading: the client quit.
        case quit
        /// Stop reading requests: the connection is now a replication link with this site.
        case peer(String)
    }

    /// Handles one inbound line and says what the reading loop does next.
    private func receive(_ item: InboundLine, requests: inout DiscardingTaskGroup) async -> Next {
        // After a BYE nothing more is answered; the connection is only read until it closes.
        guard !state.withLock({ state in
            state.lastActivity = .now
            return state.closing
        }) else { return .more }
        let bytes: ByteBuffer
        switch item {
        case .tooLong(let prefix, let length):
            let tag = Self.tag(in: prefix)
            let error = ProtocolError(.lineTooLong, "the line has \(length) bytes; the limit is \(context.limits.maximumLineBytes)")
            outbox.send([Reply.error(tag ?? Line.untagged, error)])
            return .more
        case .line(let line):
            bytes = line
        }
        // A blank line (nothing, or only spaces, tabs and a final CR) is ignored, whatever it holds.
        if bytes.readableBytesView.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return .more }
        let request: Request
        do {
            request = try Request(parsing: try LineParser.parse(bytes.readableBytesView, maximumLength: context.limits.maximumLineBytes))
        } catch {
            let tag = Self.tag(in: bytes)
            outbox.send([Reply.error(tag ?? Line.untagged, error)])
            return .more
        }
        switch request.command {
        case .hello(let versions):
            if versions.contains(Greeting.currentVersion) {
                outbox.send([Reply.ok(request.tag, [.named(key: "version", value: String(Greeting.currentVersion))])])
            } else {
                outbox.send([Reply.error(request.tag, ProtocolError(.unsupportedVersion, "this server speaks version \(Greeting.supportedVersions.map(String.init).joined(separator: ",")) only"))])
            }
            return .more
        case .auth(let token):
            outbox.send([await authenticate(token, tag: request.tag)])
            return .more
        case .quit:
            state.withLock { $0.quitTag = request.tag }
            return .quit
        case .ping:
            outbox.send([Reply.ok(request.tag)])
            return .more
        case .digests:
            switch await admitPeer(version: PeerHello.currentVersion, for: "DIGESTS") {
            case .success:
                outbox.send(await digestLines(tag: request.tag))
            case .failure(let error):
                outbox.send([Reply.error(request.tag, error)])
            }
            return .more
        case .peer(let version):
            switch await admitPeer(version: version, for: "PEER") {
            case .success(let site):
                outbox.send([Reply.ok(request.tag, [.named(key: "site", value: context.replication?.settings.site ?? "")])])
                return .peer(site)
            case .failure(let error):
                outbox.send([Reply.error(request.tag, error)])
                return .more
            }
        default:
            break
        }
        // Back-pressure: while replies wait to be written, or requests of this size are in
        // flight, the connection is not read (its client is the one that waits).
        let size = bytes.readableBytes
        await outbox.waitUntilDrained(below: context.limits.maximumQueuedBytes)
        await waitForRoom(size)
        let (principal, draining, admitted) = state.withLock { state -> (Principal?, Bool, Bool) in
            guard state.principal != nil, !state.draining, state.inFlight < context.limits.maximumInFlight else {
                return (state.principal, state.draining, false)
            }
            state.inFlight += 1
            state.inFlightBytes += size
            return (state.principal, false, true)
        }
        guard let principal else {
            outbox.send([Reply.error(request.tag, ProtocolError(.authRequired, "authenticate first: \(request.tag) AUTH token=…"))])
            return .more
        }
        guard admitted else {
            let error = draining
                ? ProtocolError(.shuttingDown, "the server is shutting down; reconnect and retry")
                : ProtocolError(.tooManyRequests, "\(context.limits.maximumInFlight) requests are in flight on this connection, the limit; wait for replies")
            outbox.send([Reply.error(request.tag, error)])
            return .more
        }
        requests.addTask {
            await self.turns.enter()
            let lines = await self.perform(request, as: principal)
            self.turns.leave()
            self.outbox.send(lines)
            let waiter = self.state.withLock { state in
                state.inFlight -= 1
                state.inFlightBytes -= size
                state.lastActivity = .now
                return state.roomWaiter.take()
            }
            waiter?.resume()
        }
        return .more
    }

    /// `* DIGEST` per document, then `OK count=…`: what `glossd check --against` compares.
    private func digestLines(tag: String) async -> [Line] {
        do {
            let digests = try await context.store.documentDigests()
            var lines = digests.keys.sorted().map { key in
                Line(tag: Line.untagged, word: "DIGEST", arguments: [.named(key: "doc", value: key), .named(key: "digest", value: digests[key]!.description)])
            }
            lines.append(Reply.ok(tag, [.named(key: "count", value: String(digests.count))]))
            return lines
        } catch {
            return [Reply.error(tag, ProtocolError(error))]
        }
    }

    /// Whether this connection may become a replication link: only with a client
    /// certificate the cluster CA signed (TLS verified it), never with a token,
    /// and only before anything else ran on it. Returns the peer's site name.
    private func admitPeer(version: Int, for verb: String) async -> Result<String, ProtocolError> {
        guard let replication = context.replication, replication.incarnation != nil else {
            return .failure(ProtocolError(.peerRefused, "this server does not replicate (it runs without --cluster-ca), or is still starting"))
        }
        guard version == PeerHello.currentVersion else {
            return .failure(ProtocolError(.peerRefused, "this server speaks peer protocol version \(PeerHello.currentVersion) only"))
        }
        let (authenticated, busy, channel) = state.withLock { ($0.principal != nil, $0.inFlight > 0 || !$0.subscriptions.isEmpty, $0.channel) }
        guard !authenticated else {
            return .failure(ProtocolError(.peerRefused, "a token cannot use \(verb); sites use their cluster certificate, on a new connection"))
        }
        guard !busy, let channel else { return .failure(ProtocolError(.peerRefused, "\(verb) must come first on its connection")) }
        let certificate: NIOSSLCertificate?
        do {
            certificate = try await channel.nioSSL_peerCertificate().get()
        } catch {
            return .failure(ProtocolError(.peerRefused, "cannot read the connection's client certificate"))
        }
        guard let certificate else {
            logger.notice("refused \(verb) without a client certificate", metadata: ["address": "\(address)"])
            return .failure(ProtocolError(.peerRefused, "\(verb) needs a client certificate signed by the cluster CA; connect with the site's certificate"))
        }
        do {
            let site = try CertificateAuthority.commonName(ofDER: try certificate.toDERBytes())
            guard (try? ReplicaID(site)) != nil else {
                return .failure(ProtocolError(.peerRefused, "the client certificate's common name is not a site name"))
            }
            logger.info("peer link requested", metadata: ["site": "\(site)", "address": "\(address)"])
            return .success(site)
        } catch {
            return .failure(ProtocolError(.peerRefused, "the client certificate cannot be read"))
        }
    }

    /// Waits until a request line of `size` bytes fits in ``ServerLimits/maximumInFlightBytes``
    /// beside those in flight (one request always fits when none is in flight).
    private func waitForRoom(_ size: Int) async {
        while state.withLock({ $0.inFlightBytes > 0 && $0.inFlightBytes + size > context.limits.maximumInFlightBytes && !$0.closing }) {
            await withCheckedContinuation { continuation in
                let full = state.withLock { state in
                    guard state.inFlightBytes > 0, state.inFlightBytes + size > context.limits.maximumInFlightBytes, !state.closing else { return false }
                    state.roomWaiter = continuation
                    return true
                }
                if !full { continuation.resume() }
            }
        }
    }

    private func perform(_ request: Request, as principal: Principal) async -> [Line] {
        switch request.command {
        case .whoami:
            return [Reply.ok(request.tag, [.named(key: "user", value: principal.name), .named(key: "roles", value: Self.describe(principal.roles))])]
        case .subscribe(let scope):
            return [await subscribe(scope, principal: principal, tag: request.tag)]
        case .unsubscribe(let number):
            let key = state.withLock { $0.subscriptions.removeValue(forKey: number)?.key }
            guard let key else { return [Reply.error(request.tag, ProtocolError(.notFound, "no subscription \(number) on this connection"))] }
            context.hub.remove(key)
            restartWatchdog()
            return [Reply.ok(request.tag)]
        case .export(let query):
            let idle = context.limits.idleTimeout
            let streamer = ExportStreamer(
                dispatcher: Dispatcher(context: context, principal: principal), outbox: outbox,
                // A client gone away ends the export at its next chunk (the session only notices once every request ends).
                isClosing: { [weak self] in self?.state.withLock { $0.closing || !($0.channel?.isActive ?? false) } ?? true },
                stalled: { [weak self] in
                    guard let self else { return }
                    logger.warning("closed a session whose export stopped being read", metadata: ["address": "\(address)", "idle": "\(idle)"])
                    close(with: ProtocolError(.idleTimeout, "the export's client read nothing for \(idle)"), discardingQueued: true)
                }
            )
            return await streamer.run(query, tag: request.tag)
        default:
            return await Dispatcher(context: context, principal: principal).handle(request)
        }
    }

    private func authenticate(_ token: String, tag: String) async -> Line {
        if state.withLock({ $0.principal != nil }) {
            return Reply.error(tag, ProtocolError(.alreadyAuthenticated, "this session is authenticated already; open a new connection for another user"))
        }
        if let wait = context.throttle.retryAfter(address), !context.throttle.isRecent(token) {
            return Reply.error(tag, ProtocolError(.authThrottled, "too many failed authentications from \(address); retry in \(wait) s"))
        }
        let principal: Principal?
        do {
            principal = try await context.store.authenticate(token: token)
        } catch {
            return Reply.error(tag, ProtocolError(error))
        }
        guard let principal else {
            context.throttle.recordFailure(address)
            logger.notice("failed authentication", metadata: ["address": "\(address)"])
            return Reply.error(tag, ProtocolError(.authFailed, "the token is not valid (unknown, revoked, or mistyped); ask an admin for a new one"))
        }
        context.throttle.recordSuccess(token)
        state.withLock { $0.principal = principal }
        restartWatchdog()
        logger.info("authenticated", metadata: ["user": "\(principal.name)", "address": "\(address)"])
        return Reply.ok(tag, [.named(key: "user", value: principal.name), .named(key: "roles", value: Self.describe(principal.roles))])
    }

    private func subscribe(_ scope: SubscriptionScope, principal: Principal, tag: String) async -> Line {
        let dispatcher = Dispatcher(context: context, principal: principal)
        let resolved: EventHub.Scope
        do throws(ProtocolError) {
            switch scope {
            case .document(let document):
                resolved = .document(try await dispatcher.resolve(document, for: .subscribe))
            case .project(let project):
                try dispatcher.authorize(.subscribe, in: project)
                resolved = .project(project)
            }
        } catch {
            return Reply.error(tag, error)
        }
        let number: Int? = state.withLock { state in
            guard state.subscriptions.count < context.limits.maximumSubscriptions else { return nil }
            defer { state.nextSubscription += 1 }
            return state.nextSubscription
        }
        guard let number else {
            return Reply.error(tag, ProtocolError(.tooManySubscriptions, "\(context.limits.maximumSubscriptions) subscriptions on one connection is the limit"))
        }
        let key = context.hub.add(number: number, scope: resolved, outbox: outbox) { [weak self] in self?.dropped(number) }
        let project: ProjectID
        switch resolved {
        case .document(let document): project = document.project
        case .project(let followed): project = followed
        }
        state.withLock { $0.subscriptions[number] = (key, project) }
        return Reply.ok(tag, [.named(key: "sub", value: String(number))])
    }

    private func dropped(_ number: Int) {
        state.withLock { _ = $0.subscriptions.removeValue(forKey: number) }
        let error = ProtocolError(
            .subscriberTooSlow, "subscription \(number) fell \(context.limits.maximumQueuedEvents) events behind; reconnect and catch up with LIST since="
        )
        logger.warning("dropped a subscriber that stopped reading", metadata: ["address": "\(address)", "subscription": "\(number)"])
        close(with: error, discardingQueued: true)
    }

    /// The token this session authenticated with, if it has.
    var tokenID: Int64? { state.withLock { $0.principal?.tokenID } }

    /// Applies a change of access: `latest` holds the current principal of every token
    /// that still authenticates. A session whose token was revoked (or that lost a
    /// project it follows) stops at once: no more requests or events, then `BYE`.
    func reviewAccess(_ latest: [Int64: Principal]) {
        let decision = state.withLock { state -> AccessDecision in
            guard let current = state.principal, !state.closing else { return .keep }
            let decision = AccessReview.decide(
                current: current, latest: latest[current.tokenID], subscribedProjects: Set(state.subscriptions.values.map(\.project))
            )
            switch decision {
            case .keep: break
            case .update(let principal): state.principal = principal
            case .close: state.principal = nil
            }
            return decision
        }
        switch decision {
        case .keep: break
        case .update(let principal):
            logger.info("roles changed", metadata: ["user": "\(principal.name)", "address": "\(address)"])
        case .close(let error):
            let keys = state.withLock { state in
                defer { state.subscriptions.removeAll() }
                return state.subscriptions.values.map(\.key)
            }
            for key in keys { context.hub.remove(key) }
            logger.notice("closing a session whose access was revoked", metadata: ["address": "\(address)"])
            close(with: error)
        }
    }

    /// How long a closing session waits for its last lines to be written before it cuts the connection.
    static let closingGrace: Duration = .seconds(2)

    /// Sends `* BYE` with `error` and closes once everything queued is written, or
    /// after ``closingGrace`` if the client does not read (so a stuck client never
    /// holds a session, or a shutdown, open). With `discardingQueued`, lines not
    /// yet written are dropped first (the client is not reading them anyway).
    func close(with error: ProtocolError, discardingQueued: Bool = false) {
        let (first, channel, waiter) = state.withLock { state in
            defer { state.closing = true }
            return (!state.closing, state.channel, state.roomWaiter.take())
        }
        waiter?.resume()
        guard first else { return }
        if discardingQueued { outbox.discardQueued() }
        outbox.send([Reply.bye(error)])
        outbox.finish()
        if let channel {
            Task {
                try? await Task.sleep(for: Self.closingGrace)
                channel.close(promise: nil)
            }
        }
    }

    /// Stops taking requests, lets those in flight finish (up to the grace period), then says goodbye.
    func drain() async {
        if let link = state.withLock({ state -> PeerLink? in
            state.draining = true
            return state.link
        }) {
            link.stop(.shuttingDown)
            return
        }
        let deadline = ContinuousClock.now + context.limits.shutdownGracePeriod
        while state.withLock({ $0.inFlight > 0 }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
        close(with: ProtocolError(.shuttingDown, "the server is shutting down; reconnect later"))
    }

    /// Starts the time-out watch over, for the session's new state (authenticated, or without subscriptions).
    private func restartWatchdog() {
        let task = Task { await watch() }
        let previous = state.withLock { state -> Task<Void, Never>? in
            guard !state.closing else { return task }
            defer { state.watchdog = task }
            return state.watchdog
        }
        previous?.cancel()
    }

    /// Closes the session when authentication or the idle time-out expires.
    private func watch() async {
        while !Task.isCancelled {
            let (deadline, error) = state.withLock { state -> (ContinuousClock.Instant, ProtocolError) in
                if state.principal == nil {
                    return (started + context.limits.authenticationTimeout, ProtocolError(.authTimeout, "no AUTH within \(context.limits.authenticationTimeout)"))
                }
                if !state.subscriptions.isEmpty || state.inFlight > 0 {
                    return (ContinuousClock.now + context.limits.idleTimeout, ProtocolError(.idleTimeout, ""))
                }
                return (state.lastActivity + context.limits.idleTimeout, ProtocolError(.idleTimeout, "nothing received for \(context.limits.idleTimeout)"))
            }
            if ContinuousClock.now >= deadline {
                close(with: error)
                return
            }
            do { try await Task.sleep(until: deadline) } catch { return }
        }
    }

    /// The tag at the start of a line's bytes, if it has a valid one.
    static func tag(in bytes: ByteBuffer) -> String? {
        LineParser.tag(in: bytes.readableBytesView)
    }

    static func describe(_ roles: [ProjectID: Role]) -> String {
        roles.sorted { $0.key < $1.key }.map { "\($0.key.rawValue)=\($0.value.rawValue)" }.joined(separator: ",")
    }
}
