import Synchronization

/// Lets at most `limit` of one session's requests run at once; the others wait
/// their turn, in arrival order. Without it, one client pipelining many requests
/// would occupy the database connections every session shares, and everyone
/// else would queue behind it.
final class TurnGate: Sendable {
    private let state = Mutex<(running: Int, waiting: [CheckedContinuation<Void, Never>])>((0, []))
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    /// Waits until fewer than `limit` requests of this session run, then counts this one in.
    func enter() async {
        await withCheckedContinuation { continuation in
            let admitted = state.withLock { state in
                guard state.running < limit else {
                    state.waiting.append(continuation)
                    return false
                }
                state.running += 1
                return true
            }
            if admitted { continuation.resume() }
        }
    }

    /// Counts a request out and lets the next waiting one in.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiting.isEmpty else {
                state.running -= 1
                return nil
            }
            return state.waiting.removeFirst()
        }
        next?.resume()
    }
}
