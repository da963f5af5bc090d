@testable import GlossServer
import Synchronization
import Testing

@Suite("Turns within a connection")
struct TurnGateTests {
    @Test("At most the limit run at once; the others wait and all get their turn")
    func limitsConcurrency() async {
        let gate = TurnGate(limit: 3)
        let running = Counters()
        await withDiscardingTaskGroup { group in
            for _ in 0..<40 {
                group.addTask {
                    await gate.enter()
                    let now = running.state.withLock { state in
                        state.now += 1
                        state.peak = max(state.peak, state.now)
                        return state.now
                    }
                    #expect(now <= 3)
                    try? await Task.sleep(for: .milliseconds(2))
                    running.state.withLock { $0.now -= 1; $0.done += 1 }
                    gate.leave()
                }
            }
        }
        let final = running.state.withLock { $0 }
        #expect(final.done == 40 && final.now == 0)
        #expect(final.peak == 3, "the limit is used, not undercut")
    }
}

/// Requests running now, the most at once, and those done.
final class Counters: Sendable {
    let state = Mutex((now: 0, peak: 0, done: 0))
}
