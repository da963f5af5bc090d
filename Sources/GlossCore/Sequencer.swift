/// The one place where a replica sequences operations: the counter of its own
/// dots, its hybrid logical clock, and the set of operations it has applied
/// (its causal context, whose vector local operations declare as seen).
///
/// A pure state machine: the store's group committer and the in-memory
/// ``Replica`` both feed it inputs (stamp a local operation, admit operations
/// from elsewhere, resynchronize from storage) and act on what it returns, so
/// the rules below hold alike in tests and in production:
/// - a local dot is the counter plus one, never reused, even when this
///   replica's own earlier operations come back from a peer (the counter moves
///   past them);
/// - the clock never goes back and moves past every admitted timestamp;
/// - an operation from elsewhere whose timestamp is more than the clock's drift
///   limit ahead of the wall clock is held, not applied, with the later
///   operations of its origin in the batch (so each origin's operations stay
///   contiguous and a version vector describes exactly what is stored), and the
///   rest of its batch is admitted;
/// - an operation already applied (or repeated in a batch) is admitted once;
/// - an operation from elsewhere under this replica's own id with a counter it
///   never issued (beyond its counter and beyond the history a peer showed it
///   holds) is held and reported as `forked-replica`: someone else writes under
///   this id (a copied database running as this site), and applying it would
///   make this replica's next dot repeat it with other content.
public struct Sequencer: Sendable {
    /// The replica whose dots this sequencer issues.
    public let replica: ReplicaID
    /// The hybrid logical clock.
    public private(set) var clock: HybridLogicalClock
    /// The counter of the latest dot of this replica, issued here or received back from a peer.
    public private(set) var counter: UInt64
    /// Every operation known applied, from any replica.
    public private(set) var applied: CausalContext
    /// How far this replica's own history must reach before it issues dots again
    /// (after a peer showed it holds more of it: a restored or copied database).
    public private(set) var requiredHistory: UInt64 = 0

    /// A sequencer that has issued and applied nothing (or resumes from stored values).
    public init(replica: ReplicaID, clock: HybridLogicalClock = HybridLogicalClock(), counter: UInt64 = 0, applied: CausalContext = CausalContext()) {
        self.replica = replica
        self.clock = clock
        self.counter = max(counter, applied.vector[replica])
        self.applied = applied
    }

    /// The version vector that local operations declare as seen.
    public var vector: VersionVector { applied.vector }

    /// Whether local operations must wait: a peer holds operations of this replica
    /// that it lacks, and a new dot could repeat one of them.
    public var isRecovering: Bool { applied.vector[replica] < requiredHistory }

    /// Asks that no local dot be issued until this replica's own operations up to
    /// `counter` are applied here (recovered from peers).
    public mutating func requireHistory(upTo counter: UInt64) {
        requiredHistory = max(requiredHistory, counter)
    }

    /// Issues the dot and timestamp of the next local operation and records it as applied.
    /// Callers check ``isRecovering`` first.
    public mutating func stampLocal(wallClockMilliseconds: UInt64) -> (dot: Dot, timestamp: HLCTimestamp) {
        counter += 1
        let dot = Dot(replica: replica, counter: counter)
        applied.insert(dot)
        return (dot, clock.now(wallClockMilliseconds: wallClockMilliseconds))
    }

    /// What ``admit(_:wallClockMilliseconds:)`` decided for a batch of operations from elsewhere.
    public struct Admission: Sendable {
        /// Operations new here, to apply and store, in the batch's order.
        public var accepted: [AnnotationOperation] = []
        /// Operations whose timestamp runs too far ahead of the wall clock, with the reason; not applied.
        public var held: [HeldOperation] = []
        /// How many operations were already applied here (or repeated within the batch).
        public var duplicates = 0
    }

    /// Admits a batch of operations made elsewhere.
    ///
    /// Each operation is validated first (unless `validated`: the caller did, as a
    /// peer link's parser does): an invalid one refuses the whole batch (a peer that
    /// sends it is broken), and nothing changes. Otherwise operations
    /// already applied are counted as duplicates, those too far ahead of the wall
    /// clock are held (with the later operations of their origin), and the rest
    /// are recorded as applied, their timestamps merged into the clock.
    /// - Throws: the validation errors of ``AnnotationOperation/validate()``.
    public mutating func admit(_ operations: [AnnotationOperation], wallClockMilliseconds: UInt64, validated: Bool = false) throws(CoreError) -> Admission {
        if !validated {
            for operation in operations { try operation.validate() }
        }
        var admission = Admission()
        var heldOrigins: [ReplicaID: CoreError] = [:]
        for operation in operations {
            if applied.contains(operation.dot) {
                admission.duplicates += 1
                continue
            }
            if let reason = heldOrigins[operation.dot.replica] {
                admission.held.append(HeldOperation(operation: operation, reason: reason))
                continue
            }
            if operation.dot.replica == replica, operation.dot.counter > max(counter, requiredHistory) {
                let error = CoreError(
                    .forkedReplica,
                    "operation \(operation.dot) carries this process's replica id, but this process has issued only up to \(counter): another process or site writes as replica \(replica) (a copied database?); stop it, or give it its own --replica-id and site"
                )
                heldOrigins[operation.dot.replica] = error
                admission.held.append(HeldOperation(operation: operation, reason: error))
                continue
            }
            do {
                try clock.receive(operation.timestamp, wallClockMilliseconds: wallClockMilliseconds)
            } catch {
                heldOrigins[operation.dot.replica] = error
                admission.held.append(HeldOperation(operation: operation, reason: error))
                continue
            }
            record(operation.dot)
            admission.accepted.append(operation)
        }
        return admission
    }

    /// Records an operation applied without the clock check (a trusted source, such as this replica's own log).
    public mutating func record(_ dot: Dot) {
        applied.insert(dot)
        if dot.replica == replica, dot.counter > counter { counter = dot.counter }
    }

    /// Records a run of operations of `origin`, counters `first` through `last`, that
    /// another process of this database stored (its commit announcement), so the
    /// applied context, which this process acknowledges to peers, covers them.
    /// Operations of this replica never come this way: each process writes under its own id.
    public mutating func recordStored(_ origin: ReplicaID, from first: UInt64, through last: UInt64) {
        applied.insert(origin, from: first, through: last)
        if origin == replica, last > counter { counter = last }
    }

    /// Adopts what storage holds after a restart or a failed commit: the stored
    /// counter of this replica, the stored version vector and the latest stored
    /// timestamp of this replica. The clock never goes back; the counter never
    /// falls below a stored dot of this replica.
    public mutating func resynchronize(storedCounter: UInt64, storedVector: VersionVector, latestTimestamp: HLCTimestamp) {
        applied = CausalContext(storedVector)
        counter = max(storedCounter, storedVector[replica])
        if latestTimestamp > clock.last {
            clock = HybridLogicalClock(last: latestTimestamp, maximumDriftMilliseconds: clock.maximumDriftMilliseconds)
        }
    }

    /// Keeps the clock of `other` (a draft that failed to commit), so no timestamp is issued twice.
    public mutating func adoptClock(of other: Sequencer) {
        if other.clock.last > clock.last { clock = other.clock }
    }
}

/// An operation from elsewhere that was not applied because its timestamp runs
/// too far ahead of this replica's wall clock (``CoreError/Code/clockDrift``).
public struct HeldOperation: Sendable {
    /// The operation, unchanged.
    public let operation: AnnotationOperation
    /// Why it is held.
    public let reason: CoreError
}
