import GlossCore

/// What a commit announces to the other glossd processes of its database
/// (PostgreSQL `NOTIFY` on ``channel``, sent in the committing statement so
/// it is delivered exactly when the commit is, in commit order): who committed,
/// and the operations stored, as runs of consecutive dots per origin.
struct CommitAnnouncement: Sendable, Hashable {
    /// The notification channel.
    static let channel = "gloss_commits"
    /// The longest payload written (PostgreSQL allows 8000 bytes).
    static let maximumPayload = 7_900

    /// A run of consecutive counters of one origin.
    struct Run: Sendable, Hashable {
        let origin: ReplicaID
        let first: UInt64
        let last: UInt64
    }

    /// The committing process's replica id.
    let sender: ReplicaID
    /// The operations stored.
    let runs: [Run]

    /// The runs of `dots`, sorted.
    static func runs(of dots: [Dot]) -> [Run] {
        var runs: [Run] = []
        for dot in dots.sorted() {
            if let last = runs.last, last.origin == dot.replica, last.last + 1 == dot.counter {
                runs[runs.count - 1] = Run(origin: last.origin, first: last.first, last: dot.counter)
            } else if runs.last.map({ $0.origin != dot.replica || $0.last < dot.counter }) ?? true {
                runs.append(Run(origin: dot.replica, first: dot.counter, last: dot.counter))
            }
        }
        return runs
    }

    /// Payloads of at most ``maximumPayload`` bytes announcing `dots` from `sender`: `sender|origin:first-last,…`.
    static func payloads(sender: ReplicaID, dots: [Dot]) -> [String] {
        var payloads: [String] = []
        var current = ""
        for run in runs(of: dots) {
            let item = "\(run.origin.rawValue):\(run.first)-\(run.last)"
            if !current.isEmpty, current.utf8.count + item.utf8.count + 1 > maximumPayload {
                payloads.append(current)
                current = ""
            }
            current += current.isEmpty ? "\(sender.rawValue)|\(item)" : ",\(item)"
        }
        if !current.isEmpty { payloads.append(current) }
        return payloads
    }

    /// Reads a payload; nil for anything else.
    init?(payload: String) {
        let parts = payload.split(separator: "|", maxSplits: 1)
        guard parts.count == 2, let sender = try? ReplicaID(String(parts[0])) else { return nil }
        var runs: [Run] = []
        for item in parts[1].split(separator: ",") {
            let halves = item.split(separator: ":")
            guard halves.count == 2, let origin = try? ReplicaID(String(halves[0])) else { return nil }
            let bounds = halves[1].split(separator: "-")
            guard bounds.count == 2, let first = UInt64(bounds[0]), let last = UInt64(bounds[1]), first <= last else { return nil }
            runs.append(Run(origin: origin, first: first, last: last))
        }
        self.sender = sender
        self.runs = runs
    }

    init(sender: ReplicaID, runs: [Run]) {
        self.sender = sender
        self.runs = runs
    }
}
