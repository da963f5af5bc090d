import Crypto
public import GlossCore

/// An idempotency key on a write: the same user sending the same key again
/// gets the first write's result instead of a second write.
public struct RequestKey: Hashable, Sendable {
    /// Who sent the request (keys are per user).
    public let user: String
    /// The key the client chose.
    public let key: String
    /// SHA-256 of the request without its tag, to refuse a key reused for another request.
    public let fingerprint: [UInt8]

    /// Creates a key; `request` is the request as read, without its tag.
    public init(user: String, key: String, request: String) {
        self.user = user
        self.key = key
        fingerprint = Array(SHA256.hash(data: Array(request.utf8)))
    }

    /// The key as the committer looks it up (user names cannot contain NUL, so this is unambiguous).
    var lookupName: String { user + "\u{0}" + key }
}

/// The outcome of a keyed write.
public enum KeyedWrite: Sendable {
    /// Written now; the operations made.
    case written([AnnotationOperation])
    /// The key was seen before with the same request: nothing written; the annotation it wrote.
    case replayed(AnnotationID)
}
