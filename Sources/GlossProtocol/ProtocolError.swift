/// An error sent to the client, with a stable code and a message for a person.
///
/// The codes are the protocol's contract: scripts match on them, so a code is
/// never renamed. Errors of the core (such as `span-out-of-range` or
/// `quote-not-found`) travel with the core's own codes.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable error code, as sent in `ERR` replies and `BYE` lines.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as written on the wire.
        public let rawValue: String
        /// A code from its wire form (used to pass on the core's and the store's codes).
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The line is longer than the limit.
        public static let lineTooLong = Code("line-too-long")
        /// The line is not valid UTF-8.
        public static let invalidUTF8 = Code("invalid-utf8")
        /// The line does not follow the grammar (tag, verb, arguments).
        public static let malformed = Code("malformed")
        /// A value holds a character Gloss cannot store: U+0000 (NUL), in any field.
        public static let invalidCharacter = Code("invalid-character")
        /// The verb is not one the server knows.
        public static let unknownVerb = Code("unknown-verb")
        /// An argument is missing, repeated, unknown or of the wrong form.
        public static let badArgument = Code("bad-argument")
        /// The client asked for protocol versions the server does not speak.
        public static let unsupportedVersion = Code("unsupported-version")
        /// The verb needs an authenticated session: send `AUTH` first.
        public static let authRequired = Code("auth-required")
        /// The token is unknown, revoked, or its user is disabled.
        public static let authFailed = Code("auth-failed")
        /// Too many failed authentications from this address: wait and retry.
        public static let authThrottled = Code("auth-throttled")
        /// The session's token was revoked, its user disabled, or it lost the role its
        /// subscriptions need: the session is closed (`BYE`); log in again.
        public static let accessRevoked = Code("access-revoked")
        /// The session is already authenticated.
        public static let alreadyAuthenticated = Code("already-authenticated")
        /// The user's role in the project does not allow the verb.
        public static let forbidden = Code("forbidden")
        /// No such document, annotation or subscription visible to this user.
        public static let notFound = Code("not-found")
        /// The document is larger than the server accepts.
        public static let documentTooLarge = Code("document-too-large")
        /// A document with the same id but another text or project exists.
        public static let documentExists = Code("document-exists")
        /// The project does not exist.
        public static let noSuchProject = Code("no-such-project")
        /// The idempotency key was used before for a different request.
        public static let keyReused = Code("key-reused")
        /// More requests in flight on this connection than the limit.
        public static let tooManyRequests = Code("too-many-requests")
        /// More subscriptions on this connection than the limit.
        public static let tooManySubscriptions = Code("too-many-subscriptions")
        /// The server cannot reach its database right now: retry later.
        public static let unavailable = Code("unavailable")
        /// The server is shutting down: reconnect later.
        public static let shuttingDown = Code("shutting-down")
        /// Nothing was sent for longer than the idle time-out.
        public static let idleTimeout = Code("idle-timeout")
        /// No successful `AUTH` within the authentication time-out.
        public static let authTimeout = Code("auth-timeout")
        /// The server holds as many connections as it allows (in total or from this address).
        public static let tooManyConnections = Code("too-many-connections")
        /// The client spoke plaintext to the TLS port.
        public static let tlsRequired = Code("tls-required")
        /// `PEER` without a client certificate the cluster CA signed (an analyst token never
        /// allows it), on a server without replication, or on a connection already in use.
        public static let peerRefused = Code("peer-refused")
        /// A subscriber fell too far behind; its subscription was dropped.
        public static let subscriberTooSlow = Code("subscriber-too-slow")
        /// As many exports as the server allows are running; retry when one ends.
        public static let tooManyExports = Code("too-many-exports")
        /// An export cursor the server cannot continue from (another database, or ahead of it).
        public static let invalidCursor = Code("invalid-cursor")
        /// An `IMPORT` record that is not an annotation Gloss reads.
        public static let badRecord = Code("bad-record")
        /// An `IMPORT` record whose offsets and quote fit no place in its document.
        public static let unanchorable = Code("unanchorable")
        /// A bug or an unexpected state in the server; the message says more.
        public static let internalError = Code("internal")
    }

    /// The stable code.
    public let code: Code
    /// What is wrong, for a person.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
