public import GlossCore

/// The verbs a client may send, as written on the wire.
public enum Verb: String, Hashable, Sendable, CaseIterable {
    /// Negotiates the protocol version.
    case hello = "HELLO"
    /// Authenticates the session with a bearer token.
    case auth = "AUTH"
    /// Answers `OK`; keeps an idle session alive.
    case ping = "PING"
    /// Names the authenticated user and their roles.
    case whoami = "WHOAMI"
    /// Ends the session.
    case quit = "QUIT"
    /// Stores a document.
    case putDocument = "DOC-PUT"
    /// Reads a document with its text.
    case getDocument = "DOC-GET"
    /// Lists a project's documents.
    case listDocuments = "DOC-LIST"
    /// Creates an annotation.
    case add = "ADD"
    /// Reads one annotation with its conflicts.
    case get = "GET"
    /// Lists annotations matching filters.
    case list = "LIST"
    /// Lists annotations with unresolved conflicts, with the competing values.
    case conflicts = "CONFLICTS"
    /// Changes an annotation's span, label or note.
    case set = "SET"
    /// Settles a conflict on one field with a value.
    case resolve = "RESOLVE"
    /// Adds tags.
    case tag = "TAG"
    /// Removes tags.
    case untag = "UNTAG"
    /// Deletes an annotation.
    case delete = "DELETE"
    /// Keeps an annotation whose deletion conflicted with an edit.
    case restore = "RESTORE"
    /// Records a review decision.
    case review = "REVIEW"
    /// Streams a batch export of a project's annotations from one consistent snapshot.
    case export = "EXPORT"
    /// Brings one annotation record (JSON Lines or W3C Web Annotation) in.
    case `import` = "IMPORT"
    /// Starts receiving live events for a document or a project.
    case subscribe = "SUBSCRIBE"
    /// Stops a subscription.
    case unsubscribe = "UNSUBSCRIBE"
    /// Lists the digest of each document's annotations; only for a client certificate the cluster CA signed.
    case digests = "DIGESTS"
    /// Shows the server's site and its links with peer sites.
    case status = "STATUS"
    /// Turns the connection into a replication link; only for a client certificate the cluster CA signed.
    case peer = "PEER"

    /// The least role in the annotation's or document's project that may use the
    /// verb; `nil` for verbs outside any project.
    public var requiredRole: Role? {
        switch self {
        case .hello, .auth, .ping, .whoami, .quit, .unsubscribe, .peer, .status, .digests: nil
        case .getDocument, .listDocuments, .get, .list, .conflicts, .subscribe: .reader
        case .putDocument, .add, .set, .resolve, .tag, .untag, .delete, .restore: .analyst
        case .review, .export, .import: .reviewer
        }
    }

    /// Whether the verb changes data and accepts an idempotency key (`IMPORT` is idempotent by itself).
    public var isWrite: Bool { self != .export && self != .import && requiredRole.map { $0 >= .analyst } ?? false }
}
