import GlossProtocol
import NIOCore
import Synchronization

/// A connection's outgoing lines. Replies and events are queued whole, so a
/// request's result lines and its final reply are never interleaved with
/// another's; one writer task sends whatever has queued up in one write (one
/// TLS record batch, one system call). Pushed events are counted, so a
/// subscriber that stops reading is noticed instead of growing the queue.
final class Outbox: Sendable {
    private struct State {
        var chunks: [ByteBuffer] = []
        var queuedEvents = 0
        var eventsInChunks = 0
        var finished = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())
    private let maximumQueuedEvents: Int

    init(maximumQueuedEvents: Int) {
        self.maximumQueuedEvents = maximumQueuedEvents
    }

    /// Queues lines to be sent together.
    func send(_ lines: [Line]) {
        let bytes = Self.encode(lines)
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.finished else { return nil }
            state.chunks.append(bytes)
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Queues one pushed event; `false` (and nothing queued) when the subscriber is too far behind.
    func sendEvent(_ line: Line) -> Bool {
        let bytes = Self.encode([line])
        let (admitted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard !state.finished else { return (true, nil) }
            guard state.queuedEvents < maximumQueuedEvents else { return (false, nil) }
            state.queuedEvents += 1
            state.eventsInChunks += 1
            state.chunks.append(bytes)
            return (true, state.waiter.take())
        }
        waiter?.resume()
        return admitted
    }

    /// Drops everything queued and not yet being written.
    func discardQueued() {
        state.withLock { state in
            state.queuedEvents -= state.eventsInChunks
            state.eventsInChunks = 0
            state.chunks.removeAll()
        }
    }

    /// Sends what is queued, then stops; nothing queued after this is sent.
    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            return state.waiter.take()
        }
        waiter?.resume()
    }

    /// Writes queued lines until ``finish()``; a failed write (the peer is gone) discards the rest.
    func run(writing write: @Sendable (ByteBuffer) async throws -> Void) async {
        var broken = false
        while let (bytes, events) = await next() {
            if !broken {
                do { try await write(bytes) } catch { broken = true }
            }
            state.withLock { $0.queuedEvents -= events }
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

    private static func encode(_ lines: [Line]) -> ByteBuffer {
        var text = ""
        for line in lines {
            text += LinePrinter.print(line)
            text += "\n"
        }
        return ByteBuffer(string: text)
    }
}
