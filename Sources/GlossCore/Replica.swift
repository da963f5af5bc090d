/// Everything one replica holds of the annotations, with its clock and counter:
/// the pure model of a Gloss server that the store persists and the tests simulate.
public struct Replica: Sendable {
    /// This replica's id.
    public let id: ReplicaID
    /// Its hybrid logical clock.
    public private(set) var clock: HybridLogicalClock
    /// The counter of the last operation it made.
    public private(set) var counter: UInt64
    /// Every operation applied here, from any replica.
    public private(set) var applied = CausalContext()
    /// The annotations, by id.
    public private(set) var annotations: [AnnotationID: AnnotationState] = [:]

    /// An empty replica.
    public init(id: ReplicaID, clock: HybridLogicalClock = HybridLogicalClock(), counter: UInt64 = 0) {
        self.id = id
        self.clock = clock
        self.counter = counter
    }

    /// Makes a local operation, applies it here and returns it for replication.
    ///
    /// The operation's context is what this replica has seen of the part of the
    /// annotation it writes, joined with every operation applied here so far.
    /// - Throws: the validation errors of ``AnnotationOperation/validate()``.
    @discardableResult
    public mutating func perform(
        _ payload: AnnotationOperation.Payload, on annotation: AnnotationID, by author: String, wallClockMilliseconds: UInt64
    ) throws(CoreError) -> AnnotationOperation {
        let operation = try (annotations[annotation] ?? AnnotationState(id: annotation)).operation(
            payload, dot: Dot(replica: id, counter: counter + 1), timestamp: clock.now(wallClockMilliseconds: wallClockMilliseconds),
            author: author, vector: applied.vector
        )
        counter += 1
        apply(operation)
        return operation
    }

    /// Receives an operation from another replica: validates it, advances the
    /// clock past its timestamp and applies it. Returns whether it was new here.
    ///
    /// - Throws: validation errors, or ``CoreError/Code/clockDrift`` when its
    ///   timestamp is too far in the future; nothing changes then.
    @discardableResult
    public mutating func receive(_ operation: AnnotationOperation, wallClockMilliseconds: UInt64) throws(CoreError) -> Bool {
        try operation.validate()
        if applied.contains(operation.dot) { return false }
        try clock.receive(operation.timestamp, wallClockMilliseconds: wallClockMilliseconds)
        apply(operation)
        return true
    }

    /// Merges an operation already validated. Idempotent: a repeat changes nothing.
    /// Returns whether it was new here.
    @discardableResult
    public mutating func apply(_ operation: AnnotationOperation) -> Bool {
        if applied.contains(operation.dot) { return false }
        annotations[operation.annotation, default: AnnotationState(id: operation.annotation)].apply(operation)
        applied.insert(operation.dot)
        if operation.dot.replica == id, operation.dot.counter > counter { counter = operation.dot.counter }
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
