import Foundation
import GlossCore
import GlossProtocol
import GlossReplication
import GlossStore
import Logging
import NIOCore
import Synchronization

/// Which side opened a link.
enum LinkDirection: String, Sendable {
    /// This site dialed the peer.
    case dialed
    /// The peer dialed this site.
    case accepted
}

/// One replication link with a peer site, over a connection either side opened.
///
/// Both sides run the same code: greet (``PeerHello``), review the peer's
/// greeting (``LinkAdmission``), then, until either side closes, send what the
/// peer lacks in acknowledged batches (catalog first, then operations after the
/// peer's version vector) while applying the peer's batches, each in one
/// transaction with the peer's progress. A quiet link sends heartbeats; a
/// silent one is closed, and the dialing side redials with back-off.
final class PeerLink: Sendable {
    let remoteSite: String
    let address: String
    let direction: LinkDirection
    private let store: GlossStore
    private let settings: ReplicationSettings
    private let maximumLineBytes: Int
    private let maximumDocumentBytes: Int
    private let outbox: Outbox
    private let closeConnection: @Sendable () -> Void
    private let logger: Logger
    private let wake: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    /// Signals the receiving loop that a batch was acknowledged (room to commit another).
    private let applied: AsyncStream<Void>
    private let appliedContinuation: AsyncStream<Void>.Continuation
    private let state = Mutex(LinkState())

    private struct LinkState {
        var unacknowledged = 0
        /// Batches received and being committed, not yet acknowledged.
        var applying = 0
        var lastHeard = ContinuousClock.now
        /// When the peer was last heard, on the wall clock, as `glossd peers` shows it.
        var lastHeardAt = Date()
        var acknowledgedVector: VersionVector?
        var unrecordedOperationsOut: Int64 = 0
        var pingNumber: UInt64 = 0
        /// The latest counter of each origin among the operations the peer sent: it holds them, so they are never sent back.
        var peerSent = VersionVector()
        /// The vector the peer greeted with.
        var greeted = VersionVector()
        /// Operations committed since the sender last looked, in commit order (see ``push(_:)``).
        var pushed: [AnnotationOperation] = []
        /// More were committed than ``PeerLink/pushLimit`` meanwhile: the sender reads the log instead.
        var pushOverflowed = false
        /// Why this side ends the link, once it decided to (``PeerLink/stop(_:)``).
        var stopping: PeerError?
        /// `GOODBYE` was sent: a link says it once.
        var saidGoodbye = false
    }

    init(
        remoteSite: String, address: String, direction: LinkDirection, store: GlossStore, settings: ReplicationSettings, maximumLineBytes: Int,
        maximumDocumentBytes: Int, outbox: Outbox, closeConnection: @escaping @Sendable () -> Void, logger: Logger
    ) {
        self.remoteSite = remoteSite
        self.address = address
        self.direction = direction
        self.store = store
        self.settings = settings
        self.maximumLineBytes = maximumLineBytes
        self.maximumDocumentBytes = maximumDocumentBytes
        self.outbox = outbox
        self.closeConnection = closeConnection
        var logger = logger
        logger[metadataKey: "peer"] = "\(remoteSite)"
        self.logger = logger
        (wake, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        (applied, appliedContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A batch being committed: its end, and the commit's outcome.
    private typealias Commit = (batch: BatchCommit, outcome: Task<ReceivedBatch, any Error>)

    /// Wakes the sender: there may be something new to send.
    func nudge() {
        wakeContinuation.yield()
    }

    /// Most committed operations kept for the sender between two looks; past it the sender reads the log.
    static let pushLimit = 20_000

    /// Hands the sender what this process just committed, in commit order, and wakes it:
    /// a caught-up link sends it as it is, without reading the log (``LivePush``).
    func push(_ operations: [AnnotationOperation]) {
        state.withLock { state in
            guard !state.pushOverflowed else { return }
            if state.pushed.count + operations.count > Self.pushLimit {
                state.pushed = []
                state.pushOverflowed = true
            } else {
                state.pushed.append(contentsOf: operations)
            }
        }
        nudge()
    }

    /// What was pushed since the last call, or nil when it is incomplete (too much, or nothing: read the log).
    private func takePushed() -> [AnnotationOperation]? {
        state.withLock { state in
            defer {
                state.pushed = []
                state.pushOverflowed = false
            }
            return state.pushOverflowed || state.pushed.isEmpty ? nil : state.pushed
        }
    }

    /// Runs the link until either side closes it; returns why it ended.
    func run<Lines: AsyncIteratorProtocol>(lines: inout Lines, registry: PeerRegistry, incarnation: UInt64) async -> PeerError
    where Lines.Element == InboundLine {
        let local: LocalSite
        let hello: PeerHello
        let database: String
        do throws(StoreError) {
            database = try await store.databaseToken()
            let catalog = try await store.catalogCursor(of: remoteSite)
            local = LocalSite(
                site: settings.site, replica: store.replica, replicas: try await store.registeredReplicas(), vector: try await store.versionVector(),
                peerReplicas: try await store.peerReplicas()
            )
            hello = PeerHello(
                site: settings.site, replica: store.replica, incarnation: incarnation, vector: local.vector,
                catalogCursor: catalog.cursor, database: database, catalogDatabase: catalog.database
            )
        } catch {
            return fail(PeerError("unavailable", "this site cannot read its own state: \(error.message)"))
        }
        outbox.send([PeerMessage.hello(hello).line])
        let theirs: PeerHello
        do {
            switch try await next(&lines) {
            case .hello(let greeting)?:
                theirs = greeting
            case .goodbye(let code, let message)?:
                return PeerError(code, "the peer closed the link: \(message)")
            case nil:
                return PeerError("peer-closed", "the peer closed the connection before greeting")
            default:
                return fail(PeerError.malformed("the first peer message must be HELLO"))
            }
        } catch {
            return fail(error)
        }
        switch LinkAdmission.review(theirs, certificateSite: remoteSite, local: local) {
        case .refuse(let error):
            return fail(error)
        case .recover(let counter, let warning):
            logger.error("\(warning.message)", metadata: ["code": "\(warning.code)"])
            await store.recoverOwnHistory(upTo: counter)
            await store.confirmIdentity()
        case .accept:
            await store.confirmIdentity()
        }
        if let conflict = registry.add(
            self,
            peer: LiveLink(
                site: theirs.site, replica: theirs.replica, incarnation: theirs.incarnation, dialedAddress: direction == .dialed ? address : nil,
                database: theirs.database
            )
        ) {
            return fail(conflict)
        }
        // The peer reviews this side's greeting too: its first message is GOODBYE when it refuses,
        // anything else when it accepts. A ping makes that first message come at once.
        outbox.send([PeerMessage.ping(0).line])
        do throws(StoreError) {
            try await store.recordPeerReplica(theirs.replica, site: theirs.site)
        } catch {
            logger.warning("cannot record the peer's replica id", metadata: ["error": "\(error)"])
        }
        state.withLock { $0.greeted = theirs.vector }
        await record(state: "up", vector: theirs.vector, error: "")
        let (commits, commitQueue) = AsyncStream.makeStream(of: Commit.self)
        let ended = await withTaskGroup(of: PeerError?.self) { group in
            group.addTask { await self.send(after: theirs, catalog: theirs.catalogCursor(forDatabase: database)) }
            group.addTask { await self.tick() }
            group.addTask { await self.acknowledge(commits) }
            let received = await self.receive(&lines, committing: commitQueue, from: theirs)
            commitQueue.finish()
            group.cancelAll()
            // A silent peer or a failing sender closes the connection; their reason is the real one.
            var cause: PeerError?
            for await result in group where cause == nil { cause = result }
            return cause ?? received
        }
        registry.remove(self)
        // Recorded even when the link ends because its task was cancelled (shutting down, peer removed).
        await Task { await self.record(state: "down", vector: nil, error: ended.description) }.value
        logger.notice("link ended", metadata: ["reason": "\(ended)"])
        return ended
    }

    /// Sends `GOODBYE` with `error` (the first time only: a link says it once) and returns it.
    @discardableResult
    func fail(_ error: PeerError) -> PeerError {
        let first = state.withLock { state in
            defer { state.saidGoodbye = true }
            return !state.saidGoodbye
        }
        guard first else { return error }
        if error == .shuttingDown {
            logger.notice("closing the link", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
        } else {
            logger.warning("closing the link", metadata: ["code": "\(error.code)", "reason": "\(error.message)"])
        }
        outbox.send([PeerMessage.goodbye(code: error.code, message: error.message).line])
        return error
    }

    /// Ends the link from this side: says `GOODBYE` with `reason`, which becomes the
    /// reason the link ended, and closes the connection once the goodbye is written
    /// (after a second at most, for a peer that does not read).
    func stop(_ reason: PeerError) {
        state.withLock { $0.stopping = $0.stopping ?? reason }
        fail(reason)
        let (outbox, closeConnection) = (outbox, closeConnection)
        Task {
            await outbox.waitUntilDrained(below: 1)
            closeConnection()
        }
        Task {
            try? await Task.sleep(for: .seconds(1))
            closeConnection()
        }
    }

    /// Why reading stopped with `error` (nil: the connection ended): this side's own
    /// reason when it is stopping or shutting down, else the connection's failure in words.
    private func readFailure(_ error: (any Error)?) -> PeerError {
        if let stopping = state.withLock({ $0.stopping }) { return stopping }
        if Task.isCancelled || error is CancellationError { return .shuttingDown }
        guard let error else { return PeerError("peer-closed", "the peer closed the connection") }
        return PeerError("peer-closed", "the connection ended: \(ConnectionFailure.describe(error))")
    }

    // MARK: Receiving

    /// Applies what the peer sends until it closes; returns why it stopped. Batches
    /// are committed in order, up to ``ReplicationSettings/window`` at once (the group
    /// committer may store several in one transaction); ``acknowledge(_:)`` answers each.
    private func receive<Lines: AsyncIteratorProtocol>(
        _ lines: inout Lines, committing queue: AsyncStream<Commit>.Continuation, from theirs: PeerHello
    ) async -> PeerError where Lines.Element == InboundLine {
        var operations: [AnnotationOperation] = []
        var room = applied.makeAsyncIterator()
        var accepted = false
        while true {
            let message: PeerMessage?
            do {
                message = try await next(&lines)
            } catch {
                return fail(error)
            }
            guard let message else { return readFailure(nil) }
            if !accepted, !message.isGoodbye {
                accepted = true
                logger.notice("linked", metadata: ["address": "\(address)", "direction": "\(direction.rawValue)", "their-replica": "\(theirs.replica)"])
            }
            do throws(StoreError) {
                switch message {
                case .hello:
                    return fail(PeerError.malformed("HELLO sent twice"))
                case .project(let id, let title):
                    try await store.receiveProject(id, title: title)
                case .document(let document, _):
                    let outcome = try await store.receiveDocument(document)
                    if outcome == .kept || outcome == .replaced {
                        logger.warning(
                            "document clash: two sites stored different texts under one id; the text with the lower SHA-256 stays everywhere",
                            metadata: ["document": "\(document.key)", "outcome": "\(outcome.rawValue)"]
                        )
                    }
                case .operation(let operation):
                    operations.append(operation)
                    state.withLock { $0.peerSent.advance(operation.dot.replica, to: operation.dot.counter) }
                    guard operations.count <= settings.maximumReceivedBatch else {
                        return fail(PeerError("peer-batch-too-large", "a batch holds more than \(settings.maximumReceivedBatch) operations"))
                    }
                case .commit(let commit):
                    guard commit.operations == operations.count else {
                        return fail(PeerError.malformed("COMMIT says \(commit.operations) operations; \(operations.count) arrived"))
                    }
                    while state.withLock({ $0.applying >= settings.window }) { _ = await room.next() }
                    state.withLock { $0.applying += 1 }
                    let (store, batch) = (store, operations)
                    let progress = PeerProgress(site: remoteSite, catalogCursor: commit.catalogCursor, database: theirs.database)
                    queue.yield((commit, Task { try await store.apply(batch, progress: progress, validated: true) }))
                    operations.removeAll(keepingCapacity: true)
                case .acknowledge(let acknowledgement):
                    state.withLock { state in
                        state.unacknowledged = max(0, state.unacknowledged - 1)
                        state.acknowledgedVector = acknowledgement.vector
                    }
                    nudge()
                case .ping(let number):
                    outbox.send([PeerMessage.pong(number).line])
                case .pong:
                    break
                case .goodbye(let code, let message):
                    return PeerError(code, "the peer closed the link: \(message)")
                }
            } catch {
                return fail(PeerError(error.isRetryable ? "unavailable" : "store-refused", "applying what the peer sent: \(error.message)"))
            }
        }
    }

    /// Answers each committed batch with `ACK`, in order; a batch that fails to commit closes the link.
    private func acknowledge(_ commits: AsyncStream<Commit>) async -> PeerError? {
        for await commit in commits {
            let received: ReceivedBatch
            do {
                received = try await commit.outcome.value
            } catch {
                let failure = error as? StoreError
                let code = failure.map { $0.isRetryable ? "unavailable" : "store-refused" } ?? "unavailable"
                let ended = fail(PeerError(code, "applying what the peer sent: \(failure?.message ?? "\(error)")"))
                closeConnection()
                return ended
            }
            if let forked = received.held.first(where: { $0.reason.code == .forkedReplica }) {
                logger.error(
                    "held operations written elsewhere under this process's own replica id",
                    metadata: ["code": "\(forked.reason.code)", "held": "\(received.held.count)", "reason": "\(forked.reason.message)"]
                )
                await record(state: "up", vector: nil, error: "\(forked.reason.code): \(forked.reason.message)")
            } else if let first = received.held.first {
                logger.warning("held operations from a clock too far ahead", metadata: ["held": "\(received.held.count)", "reason": "\(first.reason.message)"])
            }
            let vector = await store.appliedVector()
            outbox.send([PeerMessage.acknowledge(BatchAcknowledgement(batch: commit.batch.batch, vector: vector, held: received.held.count)).line])
            state.withLock { $0.applying -= 1 }
            appliedContinuation.yield()
        }
        return nil
    }

    /// The next peer message, or nil when the connection ends.
    private func next<Lines: AsyncIteratorProtocol>(_ lines: inout Lines) async throws(PeerError) -> PeerMessage? where Lines.Element == InboundLine {
        let item: InboundLine?
        do {
            item = try await lines.next()
        } catch {
            throw readFailure(error)
        }
        guard let item else { return nil }
        state.withLock { state in
            state.lastHeard = .now
            state.lastHeardAt = Date()
        }
        switch item {
        case .tooLong(_, let length):
            throw PeerError("peer-line-too-long", "a peer line of \(length) bytes exceeds this site's limit of \(maximumLineBytes) (--max-line)")
        case .line(let bytes):
            let fast = bytes.withUnsafeReadableBytes { buffer in Result { () throws(PeerError) in try OperationLine.operation(in: buffer) } }
            if let operation = try fast.get() { return .operation(operation) }
            let line: Line
            do {
                line = try LineParser.parse(bytes.readableBytesView, maximumLength: maximumLineBytes)
            } catch {
                throw PeerError.malformed("\(error)")
            }
            return try PeerMessage(line, maximumDocumentBytes: maximumDocumentBytes)
        }
    }

    // MARK: Sending

    /// Sends what the peer lacks, in acknowledged batches, until cancelled or the store fails.
    private func send(after theirs: PeerHello, catalog start: UInt64) async -> PeerError? {
        var notion = theirs.vector
        var catalog = start
        var batch: UInt64 = 0
        var lastSent = ContinuousClock.now
        var lastReconcile = ContinuousClock.now
        var wakes = wake.makeAsyncIterator()
        var schedule = LinkSendSchedule(batchOperations: settings.batchOperations, pollMilliseconds: UInt64(settings.pollInterval / .milliseconds(1)))
        let started = ContinuousClock.now
        while !Task.isCancelled {
            let (unacknowledged, acknowledged) = state.withLock { ($0.unacknowledged, $0.acknowledgedVector) }
            if unacknowledged >= settings.window {
                _ = await wakes.next()
                continue
            }
            if unacknowledged == 0, let acknowledged, ContinuousClock.now - lastReconcile >= settings.reconcileInterval {
                // Offer again whatever the peer has not stored (operations it held back), from what it acknowledged.
                notion = acknowledged
                lastReconcile = .now
            }
            notion.formUnion(state.withLock { $0.peerSent })
            var entries: [CatalogEntry] = []
            var operations = EncodedOperations()
            let catalogChanges = store.catalogChanges
            let now = UInt64((ContinuousClock.now - started) / .milliseconds(1))
            do throws(StoreError) {
                switch schedule.step(notion: notion, pushed: takePushed(), catalogChanges: catalogChanges, now: now) {
                case .send(let live, let readCatalog):
                    if readCatalog { entries = try await store.catalog(after: catalog, limit: settings.catalogBatch) }
                    operations.lines = Outbox.encode(live.map { PeerMessage.operation($0).line })
                    operations.count = live.count
                    operations.lastDots = live.map(\.dot)
                case .readLog:
                    entries = try await store.catalog(after: catalog, limit: settings.catalogBatch)
                    operations = try await store.encodedOperations(
                        after: notion, limit: settings.batchOperations, maximumBytes: settings.batchBytes, linePrefix: OperationLine.prefix
                    )
                    schedule.loggedRead(
                        operations: operations.count, full: operations.lines.readableBytes >= settings.batchBytes / 2 || entries.count >= settings.catalogBatch,
                        at: now, catalogChanges: catalogChanges
                    )
                case .idle:
                    break
                }
            } catch {
                return fail(PeerError("unavailable", "reading what to send: \(error.message)"))
            }
            var lines: [Line] = []
            for entry in entries {
                switch entry {
                case .project(let id, let title, _): lines.append(PeerMessage.project(id: id, title: title).line)
                case .document(let document, let sequence): lines.append(PeerMessage.document(document, sequence: sequence).line)
                }
                catalog = entry.sequence
            }
            for dot in operations.lastDots { notion.advance(dot.replica, to: dot.counter) }
            let sent = operations.count
            if lines.isEmpty, sent == 0 {
                if ContinuousClock.now - lastSent >= settings.heartbeat {
                    let number = state.withLock { state in
                        state.pingNumber += 1
                        return state.pingNumber
                    }
                    outbox.send([PeerMessage.ping(number).line])
                    lastSent = .now
                }
                _ = await wakes.next()
                continue
            }
            batch += 1
            // Catalog entries, then the operation lines as the store rendered them, then the batch's end: one write.
            var bytes = Outbox.encode(lines)
            bytes.writeImmutableBuffer(operations.lines)
            bytes.writeImmutableBuffer(Outbox.encode([PeerMessage.commit(BatchCommit(batch: batch, operations: sent, catalogCursor: catalog)).line]))
            state.withLock { state in
                state.unacknowledged += 1
                state.unrecordedOperationsOut += Int64(sent)
            }
            await outbox.waitUntilDrained(below: 4 * settings.batchBytes)
            outbox.send(encoded: bytes)
            lastSent = .now
        }
        return nil
    }

    /// Wakes the sender now and then (for work no commit announced), records the
    /// link's state, and closes a link that has gone silent.
    private func tick() async -> PeerError? {
        var lastRecorded = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: settings.pollInterval)
            } catch {
                return nil
            }
            nudge()
            let silent = state.withLock { ContinuousClock.now - $0.lastHeard }
            if silent > settings.silenceLimit {
                let error = fail(PeerError("peer-silent", "nothing heard from the peer for \(silent.components.seconds) s"))
                closeConnection()
                return error
            }
            if ContinuousClock.now - lastRecorded >= .seconds(2) {
                lastRecorded = .now
                // What the peer holds, as far as this side knows: what it acknowledged, and
                // everything it sent (a peer that only sends never acknowledges a batch of ours).
                let vector = state.withLock { state -> VersionVector in
                    var known = state.greeted
                    if let acknowledged = state.acknowledgedVector { known.formUnion(acknowledged) }
                    known.formUnion(state.peerSent)
                    return known
                }
                await record(state: "up", vector: vector, error: nil)
            }
        }
        return nil
    }

    /// Writes the link's state for `glossd peers`; a failure to write is only logged.
    private func record(state linkState: String, vector: VersionVector?, error: String?) async {
        let (sent, heard) = state.withLock { state in
            defer { state.unrecordedOperationsOut = 0 }
            return (state.unrecordedOperationsOut, state.lastHeardAt)
        }
        do {
            try await store.recordPeerStatus(
                site: remoteSite, state: linkState, address: address, vector: vector, error: error, operationsOut: sent, lastContact: heard
            )
        } catch {
            logger.debug("cannot record the link's state", metadata: ["error": "\(error)"])
        }
    }
}

extension PeerMessage {
    /// Whether this is `GOODBYE` (or the server's `* BYE`).
    fileprivate var isGoodbye: Bool {
        if case .goodbye = self { return true }
        return false
    }
}
