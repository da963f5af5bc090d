/// Where an annotation stands in review.
public enum ReviewStatus: String, Hashable, Sendable, CaseIterable {
    /// Not reviewed yet (the initial status).
    case open
    /// A reviewer accepted it.
    case accepted
    /// A reviewer rejected it.
    case rejected
}

/// A review decision: the status together with the reviewer's comment.
public struct Review: Hashable, Sendable, CustomStringConvertible {
    /// The status.
    public let status: ReviewStatus
    /// The reviewer's comment, possibly empty.
    public let comment: String

    /// Creates a review decision.
    public init(status: ReviewStatus, comment: String = "") {
        self.status = status
        self.comment = comment
    }

    /// The review of a new annotation.
    public static let open = Review(status: .open)

    public var description: String { comment.isEmpty ? status.rawValue : "\(status.rawValue) (\(comment))" }
}
