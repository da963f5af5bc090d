import Histogram
import Synchronization

/// Latencies in microseconds and failures, recorded from several tasks.
public final class Latencies: Sendable {
    /// An empty record.
    public init() {}

    private let state = Mutex((histogram: Histogram<UInt64>(highestTrackableValue: 120_000_000, numberOfSignificantValueDigits: .three), failures: 0))

    public func record(microseconds: UInt64) {
        state.withLock { _ = $0.histogram.record(max(1, microseconds)) }
    }

    public func fail() {
        state.withLock { $0.failures += 1 }
    }

    /// Count, p50, p95, p99 and max in milliseconds, and failures; then starts over.
    public func take() -> (count: UInt64, p50: Double, p95: Double, p99: Double, max: Double, failures: Int) {
        state.withLock { state in
            let histogram = state.histogram
            defer {
                state.histogram.reset()
                state.failures = 0
            }
            func ms(_ value: UInt64) -> Double { Double(value) / 1_000 }
            return (
                histogram.totalCount, ms(histogram.valueAtPercentile(50)), ms(histogram.valueAtPercentile(95)), ms(histogram.valueAtPercentile(99)),
                ms(histogram.max), state.failures
            )
        }
    }
}
