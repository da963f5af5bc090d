/// Every limit the server enforces, each with a clear error when reached.
public struct ServerLimits: Sendable, Hashable {
    /// Longest request line, in bytes (`line-too-long`).
    public var maximumLineBytes = 3 * 1024 * 1024
    /// Largest document text, in UTF-8 bytes (`document-too-large`).
    public var maximumDocumentBytes = 1024 * 1024
    /// Requests being worked on at once per connection; more are refused (`too-many-requests`).
    public var maximumInFlight = 128
    /// Bytes of request lines in flight on one connection; past it the connection is not
    /// read until requests finish (back-pressure, no error). One request always fits.
    public var maximumInFlightBytes = 16 * 1024 * 1024
    /// Bytes of replies and events waiting to be written to one connection: events past it
    /// drop the subscriber (`subscriber-too-slow`); while replies exceed it, the connection
    /// is not read, so a client that does not read its answers cannot fill glossd's memory.
    public var maximumQueuedBytes = 16 * 1024 * 1024
    /// Requests of one connection worked on at once; its other requests in flight wait their
    /// turn, so one client cannot occupy the database connections all sessions share.
    public var maximumRunningPerConnection = 8
    /// Time a new connection has to authenticate (`auth-timeout`).
    public var authenticationTimeout: Duration = .seconds(15)
    /// Silence after which a session is closed (`idle-timeout`); sessions with subscriptions are exempt.
    public var idleTimeout: Duration = .seconds(600)
    /// Connections held at once (`too-many-connections`).
    public var maximumConnections = 20_000
    /// Connections held at once from one address (`too-many-connections`).
    public var maximumConnectionsPerAddress = 1_000
    /// Failed authentications allowed per address per minute before `auth-throttled`.
    public var maximumFailedAuthenticationsPerMinute = 10
    /// Subscriptions per connection (`too-many-subscriptions`).
    public var maximumSubscriptions = 64
    /// Events queued for a subscriber that does not read before its subscriptions are dropped (`subscriber-too-slow`).
    public var maximumQueuedEvents = 10_000
    /// How often glossd asks the database whether access changed (a token revoked, a
    /// role changed); open sessions follow such a change within this time.
    public var accessCheckInterval: Duration = .seconds(5)
    /// `EXPORT`s running at once on the server, each with its own PostgreSQL connection
    /// and snapshot; more are refused (`too-many-exports`).
    public var maximumExports = 4
    /// Time in-flight requests get to finish when the server shuts down.
    public var shutdownGracePeriod: Duration = .seconds(10)

    /// The defaults.
    public init() {}
}
