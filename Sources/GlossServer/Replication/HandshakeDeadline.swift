import NIOCore
import Synchronization

/// Closes a connection whose handshake (TLS, then the first answers) is not done
/// within a limit, so a peer that accepts and never speaks cannot hold a dialer.
final class HandshakeDeadline: Sendable {
    private let state = Mutex<(expired: Bool, timer: Task<Void, Never>?)>((false, nil))

    /// Starts the clock on `channel`: after `limit` it is closed, unless ``cancel()`` came first.
    init(channel: any Channel, limit: Duration) {
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: limit) } catch { return }
            self?.state.withLock { $0.expired = true }
            channel.close(promise: nil)
        }
        state.withLock { $0.timer = timer }
    }

    /// Whether the limit passed and the connection was closed for it.
    var expired: Bool { state.withLock { $0.expired } }

    /// The handshake is done: the connection stays open.
    func cancel() {
        state.withLock { $0.timer }?.cancel()
    }
}
