import GlossCore

/// One caller's write, waiting in the group committer for a shared transaction.
struct WriteRequest: Sendable {
    /// What the caller wants written.
    enum Work: Sendable {
        /// New operations on one annotation made here, by this replica: all of them or none.
        case local(payloads: [AnnotationOperation.Payload], annotation: AnnotationID, author: String)
        /// Operations made elsewhere; all of them or none are stored.
        case remote([AnnotationOperation])
    }

    let work: Work
    /// The idempotency key to record with the write, if any.
    let key: RequestKey?
    let continuation: CheckedContinuation<[AnnotationOperation], any Error>

    /// The annotations the write touches.
    var annotations: [AnnotationID] {
        switch work {
        case .local(let payloads, let annotation, _): Array(repeating: annotation, count: payloads.count)
        case .remote(let operations): operations.map(\.annotation)
        }
    }
}
