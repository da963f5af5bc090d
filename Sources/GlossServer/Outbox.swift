import GlossProtocol
import NIOCore
import Synchronization

/// A connection's outgoing lines. Replies and events are queued whole, so a
/// request's result lines and its final reply are never interleaved with
/// another's; one writer task sends them in order. Pushed events are counted,
/// so a subscriber that stops reading is noticed instead of growing the queue.
final class Outbox: Sendable {
    private struct Chunk: Sendable {
        var bytes: ByteBuffer
        var events: Int
    }

    private let stream: AsyncStream<Chunk>
    private let continuation: AsyncStream<Chunk>.Continuation
    private let queuedEvents = Mutex(0)
    private let maximumQueuedEvents: Int

    init(maximumQueuedEvents: Int) {
        (stream, continuation) = AsyncStream.makeStream(of: Chunk.self)
        self.maximumQueuedEvents = maximumQueuedEvents
    }

    /// Queues lines to be sent together.
    func send(_ lines: [Line]) {
        continuation.yield(Chunk(bytes: Self.encode(lines), events: 0))
    }

    /// Queues one pushed event; `false` (and nothing queued) when the subscriber is too far behind.
    func sendEvent(_ line: Line) -> Bool {
        let admitted = queuedEvents.withLock { count in
            guard count < maximumQueuedEvents else { return false }
            count += 1
            return true
        }
        if admitted { continuation.yield(Chunk(bytes: Self.encode([line]), events: 1)) }
        return admitted
    }

    /// Sends what is queued, then stops; nothing queued after this is sent.
    func finish() {
        continuation.finish()
    }

    /// Writes queued chunks until ``finish()``; a failed write (the peer is gone) discards the rest.
    func run(writing write: @Sendable (ByteBuffer) async throws -> Void) async {
        var broken = false
        for await chunk in stream {
            if !broken {
                do { try await write(chunk.bytes) } catch { broken = true }
            }
            if chunk.events > 0 { queuedEvents.withLock { $0 -= chunk.events } }
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
