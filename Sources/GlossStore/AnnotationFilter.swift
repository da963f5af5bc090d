public import GlossCore

/// Which annotations a listing or export returns. Unset fields match everything.
public struct AnnotationFilter: Sendable, Hashable {
    /// Only annotations of documents in this project.
    public var project: ProjectID?
    /// Only annotations of these documents of ``project`` (document ids are unique only within a
    /// project, so give the project with them).
    public var documents: [DocumentID]
    /// Only annotations with this label.
    public var label: String?
    /// Only annotations whose latest field write is by this author.
    public var author: String?
    /// Only annotations with this review status.
    public var status: ReviewStatus?
    /// Only annotations changed after this timestamp.
    public var changedSince: HLCTimestamp?
    /// Include deleted annotations (their tombstones).
    public var includeDeleted: Bool
    /// Only annotations with unresolved conflicts (a conflicted field, or a deletion that met an edit).
    public var onlyConflicted: Bool

    /// A filter; by default every live annotation.
    public init(
        project: ProjectID? = nil, documents: [DocumentID] = [], label: String? = nil, author: String? = nil,
        status: ReviewStatus? = nil, changedSince: HLCTimestamp? = nil, includeDeleted: Bool = false,
        onlyConflicted: Bool = false
    ) {
        self.onlyConflicted = onlyConflicted
        self.project = project
        self.documents = documents
        self.label = label
        self.author = author
        self.status = status
        self.changedSince = changedSince
        self.includeDeleted = includeDeleted
    }
}

/// One page of a listing, with the cursor that continues it.
public struct AnnotationPage: Sendable {
    /// The annotations, in change order.
    public let annotations: [AnnotationState]
    /// Pass as `after` to get the next page; `nil` when this is the last page.
    public let nextCursor: Int64?
}
