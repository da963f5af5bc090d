import Foundation

/// A progress line on standard error, only when it is a terminal: count, rate and time left.
public struct ExportProgress {
    private let shown = isatty(2) == 1
    private var total = 0
    private var started = Date()
    private var lastShown = Date.distantPast
    private let verb: String

    /// - Parameter verb: what the line says is done, `exported` or `imported`.
    public init(verb: String = "exported") { self.verb = verb }

    /// Begins timing an export of `total` annotations.
    public mutating func start(total: Int) {
        self.total = total
        started = Date()
    }

    /// Shows `count` annotations written, at most twice a second.
    public mutating func advance(to count: Int) {
        guard shown else { return }
        let now = Date()
        guard now.timeIntervalSince(lastShown) >= 0.5 else { return }
        lastShown = now
        let elapsed = max(now.timeIntervalSince(started), 0.001)
        let rate = Double(count) / elapsed
        let left = rate > 0 ? Double(max(total - count, 0)) / rate : 0
        StandardError.write("\r\u{1B}[K\(verb) \(count) of \(total)  \(Int(rate))/s  about \(Int(left.rounded())) s left")
    }

    /// Clears the progress line.
    public func finish() {
        if shown { StandardError.write("\r\u{1B}[K") }
    }
}
