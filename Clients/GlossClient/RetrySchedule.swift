/// When to try a write again after a failure whose outcome is unknown:
/// exponential back-off with jitter, within a total time budget.
///
/// Pure: the caller passes the time already spent and a random number
/// generator, so a schedule is tested without sleeping. Delays grow from
/// ``initialDelay`` by ``multiplier`` up to ``maximumDelay``; each is drawn
/// uniformly from its upper half ("equal jitter"), so clients that failed
/// together do not retry in step. No delay is offered that would end past the
/// budget.
public struct RetrySchedule: Sendable {
    /// The whole time retries may take, from the first attempt.
    public let budget: Duration
    /// The first delay's upper bound.
    public let initialDelay: Duration
    /// The largest delay.
    public let maximumDelay: Duration
    /// How much each delay's upper bound grows.
    public let multiplier: Double
    /// Attempts made so far (after the first failure, 1).
    public private(set) var attempts = 0

    /// A schedule retrying for `budget`.
    public init(budget: Duration, initialDelay: Duration = .milliseconds(200), maximumDelay: Duration = .seconds(5), multiplier: Double = 2) {
        self.budget = budget
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.multiplier = multiplier
    }

    /// The delay before the next attempt, or `nil` when the budget is spent.
    /// `elapsed` is the time since the first attempt started.
    public mutating func nextDelay<Generator: RandomNumberGenerator>(elapsed: Duration, using generator: inout Generator) -> Duration? {
        let left = budget - elapsed
        guard left > .zero else { return nil }
        let ceiling = min(maximumDelay, initialDelay * pow(multiplier, attempts))
        attempts += 1
        let fraction = Double.random(in: 0.5...1, using: &generator)
        let delay = min(ceiling * fraction, left)
        return delay
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        (0..<min(exponent, 64)).reduce(1.0) { value, _ in value * base }
    }
}
