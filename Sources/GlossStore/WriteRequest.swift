import GlossCore

/// One caller's write, waiting in the group committer for a shared transaction.
struct WriteRequest: Sendable {
    /// What the caller wants written.
    enum Work: Sendable {
        /// A new operation made here, by this replica.
        case local(payload: AnnotationOperation.Payload, annotation: AnnotationID, author: String)
        /// Operations made elsewhere; all of them or none are stored.
        case remote([AnnotationOperation])
    }

    let work: Work
    let continuation: CheckedContinuation<[AnnotationOperation], any Error>

    /// The annotations the write touches.
    var annotations: [AnnotationID] {
        switch work {
        case .local(_, let annotation, _): [annotation]
        case .remote(let operations): operations.map(\.annotation)
        }
    }
}
