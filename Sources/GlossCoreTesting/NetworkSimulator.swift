public import GlossCore

/// How a simulated network misbehaves.
public struct NetworkFaults: Sendable, Hashable {
    /// Probability that a message copy is lost.
    public var dropRate: Double
    /// Probability that a message copy is sent twice.
    public var duplicateRate: Double
    /// Probability, per step, that the network splits into two groups (or heals).
    public var partitionRate: Double
    /// Largest amount a replica's wall clock may jump backwards, in milliseconds.
    public var clockJumpBackMilliseconds: UInt64

    /// Creates a fault profile.
    public init(dropRate: Double = 0.2, duplicateRate: Double = 0.1, partitionRate: Double = 0.02, clockJumpBackMilliseconds: UInt64 = 5_000) {
        self.dropRate = dropRate
        self.duplicateRate = duplicateRate
        self.partitionRate = partitionRate
        self.clockJumpBackMilliseconds = clockJumpBackMilliseconds
    }

    /// A network that loses, repeats, reorders and partitions.
    public static let hostile = NetworkFaults()
    /// A network that only reorders.
    public static let reorderOnly = NetworkFaults(dropRate: 0, duplicateRate: 0, partitionRate: 0, clockJumpBackMilliseconds: 0)
}

/// A seeded simulation of replicas editing concurrently over an unreliable
/// network: messages are dropped, duplicated, delivered in random order and
/// blocked by partitions; clocks jump back. ``repair()`` then heals the network
/// and runs anti-entropy, after which every replica must hold the same state.
///
/// Everything is determined by the seed, so a failing run is replayed exactly
/// by running the same seed again.
public struct NetworkSimulator: Sendable {
    /// The seed this run was started from.
    public let seed: UInt64
    /// The replicas.
    public private(set) var replicas: [Replica]
    /// Every operation each replica has applied, by dot, for forwarding.
    public private(set) var known: [[Dot: AnnotationOperation]]
    /// What happened, one line per event, for replaying a failure by eye.
    public private(set) var trace: [String] = []

    private var random: SeededRandom
    private var inFlight: [(to: Int, operation: AnnotationOperation)] = []
    private var group: [Int]?
    private var now: UInt64 = 1_700_000_000_000
    private var skews: [UInt64]
    private let faults: NetworkFaults
    private let editor = RandomEditor()

    /// A simulation of `replicaCount` empty replicas.
    public init(seed: UInt64, replicaCount: Int, faults: NetworkFaults = .hostile) {
        self.seed = seed
        self.faults = faults
        random = SeededRandom(seed: seed)
        replicas = (0..<replicaCount).map { Replica(id: try! ReplicaID("r\($0)")) }
        known = Array(repeating: [:], count: replicaCount)
        skews = Array(repeating: 0, count: replicaCount)
    }

    /// Runs `steps` random events: edits, deliveries and partition changes.
    public mutating func run(steps: Int) {
        for _ in 0..<steps { step() }
    }

    /// One random event.
    public mutating func step() {
        let roll = Double.random(in: 0..<1, using: &random)
        if roll < faults.partitionRate {
            togglePartition()
        } else if roll < 0.45 || inFlight.isEmpty {
            edit(at: Int.random(in: 0..<replicas.count, using: &random))
        } else {
            deliver(index: Int.random(in: 0..<inFlight.count, using: &random))
        }
    }

    /// Heals partitions, delivers what is still in flight, then exchanges every
    /// missing operation between every pair of replicas, in random order.
    public mutating func repair() {
        group = nil
        while !inFlight.isEmpty { deliver(index: Int.random(in: 0..<inFlight.count, using: &random)) }
        for source in 0..<replicas.count {
            for target in 0..<replicas.count where target != source {
                var missing = known[source].values.filter { !replicas[target].applied.contains($0.dot) }.sorted { $0.dot < $1.dot }
                missing.shuffle(using: &random)
                for operation in missing { receive(operation, at: target) }
            }
        }
        trace.append("repaired")
    }

    /// Whether every replica shows the same annotations and has the same digest.
    public var hasConverged: Bool {
        let digests = Set(replicas.map(\.digest))
        let views = replicas.map(\.views)
        return digests.count == 1 && views.allSatisfy { $0 == views[0] }
    }

    /// The number of operations made in total.
    public var operationCount: Int { Set(known.flatMap(\.keys)).count }

    private mutating func edit(at index: Int) {
        advanceClock(of: index)
        let operation = editor.edit(&replicas[index], wallClock: wallClock(of: index), using: &random)
        known[index][operation.dot] = operation
        trace.append("edit \(operation)")
        for target in 0..<replicas.count where target != index {
            if random.chance(faults.dropRate) {
                trace.append("drop \(operation.dot) to r\(target)")
                continue
            }
            inFlight.append((target, operation))
            if random.chance(faults.duplicateRate) { inFlight.append((target, operation)) }
        }
    }

    private mutating func deliver(index: Int) {
        let message = inFlight.remove(at: index)
        if let group, group.contains(message.to) != group.contains(message.operation.dot.replica.index) {
            trace.append("blocked \(message.operation.dot) to r\(message.to)")
            inFlight.append(message)
            if inFlight.count == 1 || random.chance(0.5) { togglePartition() }
            return
        }
        receive(message.operation, at: message.to)
    }

    private mutating func receive(_ operation: AnnotationOperation, at index: Int) {
        advanceClock(of: index)
        do {
            let fresh = try replicas[index].receive(operation, wallClockMilliseconds: wallClock(of: index))
            if fresh { known[index][operation.dot] = operation }
            trace.append("deliver \(operation.dot) to r\(index)\(fresh ? "" : " (repeat)")")
        } catch {
            preconditionFailure("replica r\(index) refused \(operation): \(error)")
        }
    }

    private mutating func togglePartition() {
        if group != nil {
            group = nil
            trace.append("heal")
        } else {
            let members = (0..<replicas.count).filter { _ in random.chance(0.5) }
            group = members
            trace.append("partition \(members)")
        }
    }

    /// Advances simulated time; now and then a replica's wall clock falls behind
    /// by up to ``NetworkFaults/clockJumpBackMilliseconds`` (a jump back), so
    /// clocks disagree by a bounded amount however long the run.
    private mutating func advanceClock(of index: Int) {
        now += UInt64.random(in: 0...20, using: &random)
        if faults.clockJumpBackMilliseconds > 0, random.chance(0.02) {
            skews[index] = UInt64.random(in: 0...faults.clockJumpBackMilliseconds, using: &random)
        }
    }

    private func wallClock(of index: Int) -> UInt64 { now - skews[index] }
}

extension ReplicaID {
    /// The index of a simulated replica named `r<index>`.
    fileprivate var index: Int { Int(rawValue.dropFirst())! }
}
