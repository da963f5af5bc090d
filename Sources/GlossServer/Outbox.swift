import GlossProtocol
import NIOCore
import Synchronization

/// A connection's outgoing lines. Replies and events are queued whole, so a
/// request's result lines and its final reply are never interleaved with
/// another's; one writer task sends whatever has queued up in one write (one
/// TLS record batch, one system call). Pushed events are counted, and every
/// queued byte too, so a client that stops reading is noticed instead of
/// growing the queue: events past the limits are refused (the subscriber is
/// dropped), and the session waits for replies to drain before it reads more
/// requests (``waitUntilDrained(below:)``).
final class Outbox: Sendable {
    private struct State {
        var chunks: [ByteBuffer] = []
        var queuedEvents = 0
        var eventsInChunks = 0
        /// Bytes queued or being written.
        var queuedBytes = 0
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
        var drainWaiters: [(limit: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())
    private let maximumQueuedEvents: Int
    private let maximumQueuedBytes: Int

    init(maximumQueuedEvents: Int, maximumQueuedBytes: Int) {
        self.maximumQueuedEvents = maximumQueuedEvents
        self.maximumQueuedBytes = maximumQueuedBytes
    }

    /// Queues lines to be sent together.
    func send(_ lines: [Line]) {
        send(encoded: Self.encode(lines))
    }

    /// Queues bytes already encoded as lines.
    func send(encoded bytes: ByteBuffer) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.finished else { return nil }
            state.chunks.append(bytes)
            state.queuedBytes += bytes.readableBytes
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Queues one pushed event; `false` (and nothing queued) when the subscriber is too
    /// far behind: as many events, or as many bytes, as the limits allow are waiting.
    func sendEvent(_ line: Line) -> Bool {
        let bytes = Self.encode([line])
        let (admitted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.finished else { return (true, nil) }
            guard state.queuedEvents < maximumQueuedEvents, state.queuedBytes + bytes.readableBytes <= maximumQueuedBytes else { return (false, nil) }
            state.queuedEvents += 1
            state.eventsInChunks += 1
            state.chunks.append(bytes)
            state.queuedBytes += bytes.readableBytes
            return (true, state.waiter.take())
        }
        waiter?.resume()
        return admitted
    }

    /// Whether more than `limit` bytes wait to be written (and the outbox is not finished).
    func holds(moreThan limit: Int) -> Bool {
        state.withLock { $0.queuedBytes > limit && !$0.finished }
    }

    /// Returns once at most `limit` bytes wait to be written (or the outbox is finished):
    /// a session calls it before reading another request, so a client that does not
    /// read its replies stops being read instead of filling glossd's memory.
    func waitUntilDrained(below limit: Int) async {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state in
                guard state.queuedBytes > limit, !state.finished else { return true }
                state.drainWaiters.append((limit, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Resumes the drain waiters whose limit the queue is now under (all of them once finished).
    private func wakeDrainWaiters(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        var ready: [CheckedContinuation<Void, Never>] = []
        state.drainWaiters.removeAll { waiter in
            guard state.finished || state.queuedBytes <= waiter.limit else { return false }
            ready.append(waiter.continuation)
            return true
        }
        return ready
    }

    /// Drops everything queued and not yet being written.
    func discardQueued() {
        let ready = state.withLock { state in
            state.queuedEvents -= state.eventsInChunks
            state.eventsInChunks = 0
            state.queuedBytes -= state.chunks.reduce(0) { $0 + $1.readableBytes }
            state.chunks.removeAll()
            return wakeDrainWaiters(&state)
        }
        for continuation in ready { continuation.resume() }
    }

    /// Sends what is queued, then stops; nothing queued after this is sent.
    func finish() {
        let (waiter, ready) = state.withLock { state in
            state.finished = true
            return (state.waiter.take(), wakeDrainWaiters(&state))
        }
        waiter?.resume()
        for continuation in ready { continuation.resume() }
    }

    /// Writes queued lines until ``finish()``; a failed write (the peer is gone) discards the rest.
    func run(writing write: @Sendable (ByteBuffer) async throws -> Void) async {
        var broken = false
        while let (bytes, events) = await next() {
            if !broken {
                do { try await write(bytes) } catch { broken = true }
            }
            let ready = state.withLock { state in
                state.queuedEvents -= events
                state.queuedBytes -= bytes.readableBytes
                return wakeDrainWaiters(&state)
            }
            for continuation in ready { continuation.resume() }
        }
    }

    /// Everything queued, joined, with the number of events in it; `nil` once finished and drained.
    private func next() async -> (ByteBuffer, Int)? {
        while true {
            let taken = state.withLock { state -> (ByteBuffer, Int)?? in
                if !state.chunks.isEmpty {
                    var joined = state.chunks[0]
                    for chunk in state.chunks.dropFirst() { joined.writeImmutableBuffer(chunk) }
                    defer {
                        state.chunks.removeAll(keepingCapacity: true)
                        state.eventsInChunks = 0
                    }
                    return .some((joined, state.eventsInChunks))
                }
                return state.finished ? .some(nil) : nil
            }
            if let taken { return taken }
            await withCheckedContinuation { continuation in
                let ready = state.withLock { state in
                    if !state.chunks.isEmpty || state.finished { return true }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        }
    }

    /// `lines` as sent: each printed, with a line feed.
    static func encode(_ lines: [Line]) -> ByteBuffer {
        var text = ""
        for line in lines {
            text += LinePrinter.print(line)
            text += "\n"
        }
        return ByteBuffer(string: text)
    }
}
