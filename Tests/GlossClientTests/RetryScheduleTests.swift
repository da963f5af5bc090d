import GlossClient
import GlossCoreTesting
import Testing

@Suite("Retry schedule")
struct RetryScheduleTests {
    @Test("Delays grow from the first to the largest, each drawn from its upper half, and stop at the budget")
    func backOff() {
        var schedule = RetrySchedule(budget: .seconds(20), initialDelay: .milliseconds(200), maximumDelay: .seconds(5))
        var random = SeededRandom(seed: 7)
        var elapsed = Duration.zero
        var delays: [Duration] = []
        while let delay = schedule.nextDelay(elapsed: elapsed, using: &random) {
            delays.append(delay)
            elapsed += delay
        }
        let ceilings: [Duration] = [.milliseconds(200), .milliseconds(400), .milliseconds(800), .milliseconds(1_600), .milliseconds(3_200)]
        for (delay, ceiling) in zip(delays, ceilings) {
            #expect(delay >= ceiling / 2 && delay <= ceiling, "\(delay) within (\(ceiling / 2), \(ceiling)]")
        }
        #expect(delays.dropFirst(6).allSatisfy { $0 <= .seconds(5) }, "capped at the largest delay")
        #expect(elapsed == .seconds(20), "the last delay ends exactly at the budget, never past it")
        #expect(schedule.attempts == delays.count)
    }

    @Test("A zero budget offers no retry; a spent one neither")
    func noBudget() {
        var random = SeededRandom(seed: 1)
        var none = RetrySchedule(budget: .zero)
        #expect(none.nextDelay(elapsed: .zero, using: &random) == nil)
        var spent = RetrySchedule(budget: .seconds(1))
        #expect(spent.nextDelay(elapsed: .seconds(2), using: &random) == nil)
    }

    @Test("Each error code means retry, keep or refused")
    func outcomes() {
        for code in [
            "connection-failed", "connection-closed", "tls-failed", "timed-out", "unavailable", "shutting-down", "too-many-requests", "too-many-connections",
            "auth-throttled",
        ] {
            #expect(WriteOutcome.of(code: code) == .retry, "\(code)")
        }
        for code in ["auth-failed", "access-revoked", "certificate-mismatch"] {
            #expect(WriteOutcome.of(code: code) == .keep, "\(code)")
        }
        for code in ["forbidden", "not-found", "quote-not-found", "bad-argument", "key-reused", "annotation-deleted", "invalid-character", "internal"] {
            #expect(WriteOutcome.of(code: code) == .refused, "\(code)")
        }
    }
}
