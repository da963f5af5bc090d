import Crypto
public import GlossCore

/// An idempotency key on a write: the same user sending the same key again
/// gets the first write's result instead of a second write.
public struct RequestKey: Sendable {
    /// Who sent the request (keys are per user).
    public let user: String
    /// The key the client chose.
    public let key: String
    /// SHA-256 of the request without its tag, to refuse a key reused for another request.
    public let fingerprint: [UInt8]
    /// The answer to record with the key, made from the operations written (for the
    /// server, the result fields of its `OK` line); a replay returns it unchanged.
    public let reply: @Sendable ([AnnotationOperation]) -> String

    /// Creates a key; `request` is the request as read, without its tag.
    public init(user: String, key: String, request: String, reply: @escaping @Sendable ([AnnotationOperation]) -> String = { _ in "" }) {
        self.user = user
        self.key = key
        fingerprint = Array(SHA256.hash(data: Array(request.utf8)))
        self.reply = reply
    }

    /// The key as the committer looks it up (user names cannot contain NUL, so this is unambiguous).
    var lookupName: String { user + "\u{0}" + key }
}

/// The outcome of a keyed write.
public enum KeyedWrite: Sendable {
    /// Written now; the operations made.
    case written([AnnotationOperation])
    /// The key was seen before with the same request: nothing written; the annotation it
    /// wrote and the answer recorded then (empty for keys recorded before answers were kept).
    case replayed(AnnotationID, reply: String)
}

/// What became of a batch of operations made elsewhere, once durable.
public struct ReceivedBatch: Sendable {
    /// The operations new here, now stored, in the batch's order.
    public var applied: [AnnotationOperation] = []
    /// Operations not applied because their timestamps run too far ahead of this clock; nothing of them is stored.
    public var held: [HeldOperation] = []
    /// How many operations were already stored here.
    public var duplicates = 0

    /// Nothing received yet.
    public init() {}
}
