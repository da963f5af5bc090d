/// Everything one replica holds of the annotations, with its sequencer:
/// the pure model of a Gloss server that the store persists and the tests simulate.
public struct Replica: Sendable {
    /// Its counter, clock and applied operations.
    public private(set) var sequencer: Sequencer
    /// The annotations, by id.
    public private(set) var annotations: [AnnotationID: AnnotationState] = [:]

    /// An empty replica.
    public init(id: ReplicaID, clock: HybridLogicalClock = HybridLogicalClock(), counter: UInt64 = 0) {
        sequencer = Sequencer(replica: id, clock: clock, counter: counter)
    }

    /// This replica's id.
    public var id: ReplicaID { sequencer.replica }
    /// Its hybrid logical clock.
    public var clock: HybridLogicalClock { sequencer.clock }
    /// The counter of the last operation it made.
    public var counter: UInt64 { sequencer.counter }
    /// Every operation applied here, from any replica.
    public var applied: CausalContext { sequencer.applied }

    /// Makes a local operation, applies it here and returns it for replication.
    ///
    /// The operation's context is what this replica has seen of the part of the
    /// annotation it writes, joined with every operation applied here so far.
    /// - Throws: the validation errors of ``AnnotationOperation/validate()``; nothing changes then.
    @discardableResult
    public mutating func perform(
        _ payload: AnnotationOperation.Payload, on annotation: AnnotationID, by author: String, wallClockMilliseconds: UInt64
    ) throws(CoreError) -> AnnotationOperation {
        var draft = sequencer
        let vector = draft.vector
        let (dot, timestamp) = draft.stampLocal(wallClockMilliseconds: wallClockMilliseconds)
        let operation = try (annotations[annotation] ?? AnnotationState(id: annotation)).operation(
            payload, dot: dot, timestamp: timestamp, author: author, vector: vector
        )
        sequencer = draft
        annotations[annotation, default: AnnotationState(id: annotation)].apply(operation)
        return operation
    }

    /// Receives an operation from another replica: validates it, advances the
    /// clock past its timestamp and applies it. Returns whether it was new here.
    ///
    /// - Throws: validation errors, or ``CoreError/Code/clockDrift`` when its
    ///   timestamp is too far in the future; nothing changes then.
    @discardableResult
    public mutating func receive(_ operation: AnnotationOperation, wallClockMilliseconds: UInt64) throws(CoreError) -> Bool {
        let admission = try sequencer.admit([operation], wallClockMilliseconds: wallClockMilliseconds)
        if let held = admission.held.first { throw held.reason }
        guard let accepted = admission.accepted.first else { return false }
        annotations[accepted.annotation, default: AnnotationState(id: accepted.annotation)].apply(accepted)
        return true
    }

    /// Merges an operation already validated. Idempotent: a repeat changes nothing.
    /// Returns whether it was new here.
    @discardableResult
    public mutating func apply(_ operation: AnnotationOperation) -> Bool {
        if sequencer.applied.contains(operation.dot) { return false }
        annotations[operation.annotation, default: AnnotationState(id: operation.annotation)].apply(operation)
        sequencer.record(operation.dot)
        return true
    }

    /// The annotations as people see them (created ones only), sorted by id.
    public var views: [AnnotationView] {
        annotations.keys.sorted().compactMap { annotations[$0]?.view }
    }

    /// A SHA-256 digest of the merged state: two replicas holding the same
    /// annotations have the same digest, whatever order they merged in.
    public var digest: StateDigest {
        StateDigest(of: annotations.keys.sorted().map { annotations[$0]! })
    }
}
