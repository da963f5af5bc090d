import GlossCore

/// One caller's write, waiting in the group committer for a shared transaction.
struct WriteRequest: Sendable {
    /// What the caller wants written.
    enum Work: Sendable {
        /// New operations on one annotation made here, by this replica: all of them or none.
        /// `declared`: the revision the author was shown (see ``AnnotationState/operation(_:dot:timestamp:author:vector:declared:)``).
        case local(payloads: [AnnotationOperation.Payload], annotation: AnnotationID, author: String, declared: [Dot]?)
        /// Operations made elsewhere: those already applied are skipped, those
        /// too far ahead of the clock are held, the rest are stored (see ``Sequencer/admit(_:wallClockMilliseconds:)``).
        /// With `progress`, the peer's progress is recorded in the same transaction;
        /// `validated`: the operations were checked already (see ``GlossStore/apply(_:progress:validated:)``).
        case remote([AnnotationOperation], progress: PeerProgress?, validated: Bool)
    }

    let work: Work
    /// The idempotency key to record with the write, if any.
    let key: RequestKey?
    let continuation: CheckedContinuation<WriteResult, any Error>

    /// The annotations the write touches that may already be stored: all but
    /// those it creates here (a new annotation's id is fresh, so there is nothing to read).
    var existingAnnotations: [AnnotationID] {
        if case .local(let payloads, _, _, _) = work, case .create = payloads.first { return [] }
        return annotations
    }

    /// Whether the write was made here (not received from a peer).
    var isLocal: Bool {
        if case .local = work { return true }
        return false
    }

    /// How many operations the write stores at most.
    var operationCount: Int {
        switch work {
        case .local(let payloads, _, _, _): payloads.count
        case .remote(let operations, _, _): operations.count
        }
    }

    /// The annotations the write touches.
    var annotations: [AnnotationID] {
        switch work {
        case .local(let payloads, let annotation, _, _): Array(repeating: annotation, count: payloads.count)
        case .remote(let operations, _, _): operations.map(\.annotation)
        }
    }
}

/// What the committer answers a write with.
enum WriteResult: Sendable {
    /// A local write's outcome.
    case keyed(KeyedWrite)
    /// What became of operations made elsewhere.
    case received(ReceivedBatch)
}

/// What a batch from a peer site moves forward, recorded with its operations.
public struct PeerProgress: Sendable, Hashable {
    /// The peer site's name.
    public let site: String
    /// The peer's catalog number up to which its projects and documents are now stored here.
    public let catalogCursor: UInt64
    /// The token of the peer's database, whose catalog the cursor counts (empty: unknown).
    public let database: String

    /// Creates a progress record.
    public init(site: String, catalogCursor: UInt64, database: String = "") {
        self.site = site
        self.catalogCursor = catalogCursor
        self.database = database
    }
}
