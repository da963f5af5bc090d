public import GlossCore
public import GlossProtocol
import NIOCore
import NIOExtras
import NIOPosix
import NIOSSL
import Synchronization

/// A TLS connection to a Gloss server: sends tagged requests (any number at
/// once, pipelined), matches the replies, and delivers pushed events.
public final class GlossConnection: Sendable {
    private struct Pending {
        var waiting: [String: CheckedContinuation<Response, any Error>] = [:]
        /// Receivers of streamed replies' lines, by tag (see ``stream(_:_:)``).
        var streams: [String: @Sendable (Line) -> Bool] = [:]
        var untagged: [Line] = []
        var nextTag = 1
        var closedError: ClientError?
        var outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>?
    }

    private struct Details {
        var greeting = Greeting(replica: "", maximumLineBytes: 0, maximumDocumentBytes: 0, maximumInFlight: 0, authenticationTimeoutSeconds: 0, idleTimeoutSeconds: 0)
        var fingerprint = ""
    }

    /// The server's greeting.
    public var greeting: Greeting { state.withLock { $0.greeting } }
    /// The SHA-256 fingerprint of the server's certificate (empty when verified by a CA file).
    public var fingerprint: String { state.withLock { $0.fingerprint } }
    /// Events pushed by the server, in arrival order.
    public let events: AsyncStream<EventRecord>

    private let channel: any Channel
    private let state = Mutex(Details())
    private let pending = Mutex(Pending())
    private let eventSink: AsyncStream<EventRecord>.Continuation
    private let reader: Mutex<Task<Void, Never>?> = Mutex(nil)

    /// Connects, checks the certificate according to `trust`, and reads the greeting,
    /// all within `timeout` (a server that accepts and stays silent is given up on).
    ///
    /// - Throws: ``ClientError`` (`connection-failed`, `tls-failed`, `certificate-mismatch`, `timed-out`).
    public static func connect(
        host: String, port: Int, trust: ServerTrust, maximumLineBytes: Int = 64 * 1024 * 1024, timeout: Duration = .seconds(10)
    ) async throws(ClientError) -> GlossConnection {
        let seen = Mutex<String?>(nil)
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            let isAddress = (try? SocketAddress(ipAddress: host, port: 0)) != nil
            switch trust {
            case .certificateAuthority(let path):
                tls.trustRoots = .file(path)
                // Full verification for an IP address too: NIOSSL then checks the address against the
                // certificate's IP subjectAltNames, so another site's certificate cannot stand in.
                tls.certificateVerification = .fullVerification
            case .fingerprint, .firstUse:
                tls.certificateVerification = .noHostnameVerification
            }
            let context = try NIOSSLContext(configuration: tls)
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(.seconds(10))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let handler: NIOSSLClientHandler
                        switch trust {
                        case .certificateAuthority:
                            handler = try NIOSSLClientHandler(context: context, serverHostname: isAddress ? nil : host)
                        case .fingerprint(let expected):
                            handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                                let actual = certificates.first.map(ServerTrust.fingerprint(of:)) ?? ""
                                seen.withLock { $0 = actual }
                                promise.succeed(actual == expected ? .certificateVerified : .failed)
                            }
                        case .firstUse:
                            handler = try NIOSSLClientHandler(context: context, serverHostname: nil) { certificates, promise in
                                seen.withLock { $0 = certificates.first.map(ServerTrust.fingerprint(of:)) }
                                promise.succeed(.certificateVerified)
                            }
                        }
                        try channel.pipeline.syncOperations.addHandler(handler)
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LineBasedFrameDecoder(), maximumBufferSize: maximumLineBytes))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ClientError(code: ClientError.connectionFailed, message: "cannot connect to \(host):\(port): \(Self.plain(error))")
        }
        let connection = GlossConnection(channel: channel.channel)
        let first: Line
        do {
            first = try await withThrowingTaskGroup(of: Line.self) { group in
                group.addTask {
                    try await withCheckedThrowingContinuation { continuation in
                        connection.start(channel, maximumLineBytes: maximumLineBytes, greeting: continuation)
                    }
                }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    // Closing ends the reader, which fails the greeting's wait.
                    try? await connection.channel.close()
                    throw ClientError(code: ClientError.timedOut, message: "\(host):\(port) accepted the connection but did not greet within \(timeout)")
                }
                defer { group.cancelAll() }
                guard let first = try await group.next() else { throw ClientError(code: ClientError.connectionClosed, message: "no greeting") }
                return first
            }
        } catch {
            await connection.close()
            if case .fingerprint(let expected) = trust, let actual = seen.withLock({ $0 }), actual != expected {
                throw ClientError(
                    code: ClientError.certificateMismatch,
                    message: "the server's certificate is \(actual), not the pinned \(expected). If the server's certificate was replaced on purpose, log in again; otherwise someone may be intercepting the connection"
                )
            }
            if let error = error as? ClientError { throw error }
            throw ClientError(code: ClientError.tlsFailed, message: "TLS with \(host):\(port) failed: \(Self.plain(error))")
        }
        if let error = Reply.error(in: first) {
            await connection.close()
            throw ClientError(error)
        }
        do {
            let greeting = try Greeting(line: first)
            connection.state.withLock { $0.greeting = greeting }
        } catch {
            await connection.close()
            throw ClientError(error)
        }
        connection.state.withLock { $0.fingerprint = seen.withLock { $0 } ?? "" }
        return connection
    }

    /// A network or TLS error in a few words, without the libraries' wrapping.
    static func plain(_ error: any Error) -> String {
        let text = String(describing: error)
        let known: [(String, String)] = [
            ("Connection refused", "connection refused (is glossd running there, on that port?)"),
            ("CERTIFICATE_VERIFY_FAILED", "the server's certificate is not signed by the CA file given (or has expired)"),
            ("hostname", "the server's certificate does not name this host"),
            ("No route to host", "no route to the host"),
            ("Network is unreachable", "the network is unreachable"),
            ("Name or service not known", "the host name does not resolve"),
            ("connectTimeout", "no answer to the connection attempt"),
            ("uncleanShutdown", "the server closed the connection during TLS"),
            ("EOF during handshake", "the server closed the connection during the TLS handshake (is this a Gloss port? glossd speaks only TLS)"),
            ("failedToValidateHostname", "the server's certificate does not name this host"),
            ("WRONG_VERSION_NUMBER", "the server does not speak TLS on that port"),
        ]
        for (marker, plain) in known where text.contains(marker) { return plain }
        return String(text.prefix(200))
    }

    private init(channel: any Channel) {
        self.channel = channel
        (events, eventSink) = AsyncStream.makeStream(of: EventRecord.self)
    }

    /// Reads lines until the connection ends: the first is the greeting, then replies and events.
    private func start(
        _ channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>, maximumLineBytes: Int, greeting: CheckedContinuation<Line, any Error>
    ) {
        let task = Task {
            let greeting = Mutex<CheckedContinuation<Line, any Error>?>(greeting)
            var ending = ClientError(code: ClientError.connectionClosed, message: "the server closed the connection")
            do {
                try await channel.executeThenClose { inbound, outbound in
                    self.pending.withLock { $0.outbound = outbound }
                    for try await bytes in inbound {
                        guard let line = try? LineParser.parse(bytes.readableBytesView, maximumLength: maximumLineBytes) else { continue }
                        if let waiting = greeting.withLock({ $0.take() }) {
                            waiting.resume(returning: line)
                            continue
                        }
                        if let bye = Reply.error(in: line), line.word == Reply.byeWord {
                            ending = ClientError(bye)
                            continue
                        }
                        self.deliver(line)
                    }
                }
            } catch {
                if let waiting = greeting.withLock({ $0.take() }) {
                    waiting.resume(throwing: error)
                    return
                }
                ending = ClientError(code: ClientError.connectionClosed, message: "the connection failed: \(Self.plain(error))")
            }
            greeting.withLock { $0.take() }?.resume(throwing: ending)
            self.fail(ending)
        }
        reader.withLock { $0 = task }
    }

    private func deliver(_ line: Line) {
        if line.isUntagged {
            if line.word == EventRecord.word {
                if let event = try? EventRecord(line: line) { eventSink.yield(event) }
            } else {
                pending.withLock { $0.untagged.append(line) }
            }
            return
        }
        if !Reply.isFinal(line, for: line.tag), let receiver = pending.withLock({ $0.streams[line.tag] }) {
            // On the reading task: while the receiver works, nothing more is read, and the server waits.
            if !receiver(line) {
                pending.withLock { _ = $0.streams.removeValue(forKey: line.tag) }
                channel.close(promise: nil)
            }
            return
        }
        let (waiter, lines) = pending.withLock { pending in
            defer { pending.untagged = [] }
            pending.streams.removeValue(forKey: line.tag)
            return (pending.waiting.removeValue(forKey: line.tag), pending.untagged)
        }
        guard let waiter else { return }
        if let error = Reply.error(in: line) {
            waiter.resume(throwing: ClientError(error))
        } else {
            waiter.resume(returning: Response(lines: lines, reply: line))
        }
    }

    private func fail(_ error: ClientError) {
        let waiters = pending.withLock { pending in
            pending.closedError = error
            pending.outbound = nil
            defer {
                pending.waiting = [:]
                pending.streams = [:]
            }
            return Array(pending.waiting.values)
        }
        for waiter in waiters { waiter.resume(throwing: error) }
        eventSink.finish()
    }

    /// Sends a command and waits for its reply.
    ///
    /// - Throws: ``ClientError`` with the server's code for an `ERR` reply.
    /// With `timeout`, a reply that does not come in time fails with `timed-out` and closes
    /// the connection (what the server did with the request is unknown).
    public func send(_ command: Command, key: String? = nil, revision: [Dot]? = nil, timeout: Duration? = nil) async throws(ClientError) -> Response {
        try await exchange(tag: nil, timeout: timeout) { tag in
            ByteBuffer(string: LinePrinter.print(Request(tag: tag, command: command, key: key, revision: revision).line) + "\n")
        }
    }

    /// Sends a command whose reply streams (`EXPORT`): every line tagged with the request's
    /// tag before its final reply goes to `receive`, in order, on the connection's reading
    /// task, so the server sends no faster than `receive` takes lines. When `receive` returns
    /// false, the connection is closed and this throws `connection-closed`.
    ///
    /// - Throws: ``ClientError`` with the server's code for an `ERR` reply.
    public func stream(_ command: Command, _ receive: @escaping @Sendable (Line) -> Bool) async throws(ClientError) -> Response {
        try await exchange(tag: nil, receiver: receive) { tag in
            ByteBuffer(string: LinePrinter.print(Request(tag: tag, command: command).line) + "\n")
        }
    }

    /// Sends raw bytes and waits for the final reply tagged `tag` (for trying out bad input).
    ///
    /// - Throws: ``ClientError`` with the server's code for an `ERR` reply.
    public func sendRaw(_ bytes: [UInt8], awaiting tag: String) async throws(ClientError) -> Response {
        try await exchange(tag: tag) { _ in ByteBuffer(bytes: bytes) }
    }

    /// Registers a waiter for a tag (the next one of this connection's, or `fixed`),
    /// writes what `encode` makes of the tag, and waits for the tagged reply.
    private func exchange(
        tag fixed: String?, timeout: Duration? = nil, receiver: (@Sendable (Line) -> Bool)? = nil, _ encode: (String) -> ByteBuffer
    ) async throws(ClientError) -> Response {
        do {
            return try await withCheckedThrowingContinuation { continuation in
                let claimed: (String, NIOAsyncChannelOutboundWriter<ByteBuffer>)? = pending.withLock { pending in
                    guard pending.closedError == nil, let outbound = pending.outbound else {
                        continuation.resume(throwing: pending.closedError ?? ClientError(code: ClientError.connectionClosed, message: "not connected"))
                        return nil
                    }
                    let tag = fixed ?? "c\(pending.nextTag)"
                    if fixed == nil { pending.nextTag += 1 }
                    pending.waiting[tag] = continuation
                    if let receiver { pending.streams[tag] = receiver }
                    return (tag, outbound)
                }
                guard let (tag, outbound) = claimed else { return }
                if let timeout {
                    Task {
                        try? await Task.sleep(for: timeout)
                        guard let waiter = self.pending.withLock({ $0.waiting.removeValue(forKey: tag) }) else { return }
                        waiter.resume(throwing: ClientError(code: ClientError.timedOut, message: "no answer within \(timeout)"))
                        try? await self.channel.close()
                    }
                }
                let bytes = encode(tag)
                Task {
                    do {
                        try await outbound.write(bytes)
                    } catch {
                        let waiter = self.pending.withLock { $0.waiting.removeValue(forKey: tag) }
                        waiter?.resume(throwing: ClientError(code: ClientError.connectionClosed, message: "could not send: \(error)"))
                    }
                }
            }
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError(code: ClientError.connectionClosed, message: "\(error)")
        }
    }

    /// Waits until the server closes the connection; returns the error of its `* BYE`, if it sent one.
    public func waitForClose() async -> ClientError? {
        _ = await reader.withLock { $0 }?.value
        return pending.withLock { $0.closedError }
    }

    /// Closes the connection.
    public func close() async {
        try? await channel.close()
        _ = await reader.withLock { $0 }?.value
    }
}
