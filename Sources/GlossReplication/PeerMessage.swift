public import GlossCore

/// One message of the link between two Gloss sites (see docs/REPLICATION.md).
///
/// A link starts as an ordinary client connection with a cluster certificate;
/// its `PEER` request turns it into a link, and from then on both sides send
/// these messages, one per line, in any order the rules below allow:
/// - each side first sends ``hello(_:)``;
/// - each side then sends what the other lacks, in batches: catalog entries
///   (``project(id:title:)``, ``document(_:sequence:)``) and operations
///   (``operation(_:)``), each batch closed by ``commit(_:)``, which the other
///   side answers with ``acknowledge(_:)`` once the batch is durable;
/// - ``ping(_:)`` and ``pong(_:)`` keep a quiet or busy link alive;
/// - ``goodbye(code:message:)`` says why a side closes the link.
public enum PeerMessage: Sendable {
    /// The greeting: who the site is and what it already holds.
    case hello(PeerHello)
    /// A project, created on the receiver if it lacks it.
    case project(id: ProjectID, title: String)
    /// A document with its position in the sender's catalog sequence.
    case document(Document, sequence: UInt64)
    /// An annotation operation, in its canonical encoding.
    case operation(AnnotationOperation)
    /// Closes a batch: apply everything since the previous one in one transaction.
    case commit(BatchCommit)
    /// A batch is durable on the sender of this message.
    case acknowledge(BatchAcknowledgement)
    /// A heartbeat; the other side answers with ``pong(_:)`` carrying the same number.
    case ping(UInt64)
    /// The answer to ``ping(_:)``.
    case pong(UInt64)
    /// The sender closes the link, with a stable code and a message for the operator.
    case goodbye(code: String, message: String)
}

/// What a site says when a link opens.
public struct PeerHello: Hashable, Sendable {
    /// The peer protocol version this build speaks.
    public static let currentVersion = 1

    /// The peer protocol version.
    public var version: Int
    /// The site's name, as its cluster certificate names it.
    public var site: String
    /// The replica id of the glossd process that runs the link.
    public var replica: ReplicaID
    /// A number that grows each time the site's glossd starts with this database (its incarnation).
    public var incarnation: UInt64
    /// Every operation the site holds, for each origin contiguously from 1.
    public var vector: VersionVector
    /// The sender's catalog cursor for the receiver: the receiver's catalog sequence
    /// number up to which the sender already holds the receiver's projects and documents.
    public var catalogCursor: UInt64
    /// The sender's database, by its token (a UUID, lower case): each database numbers its own catalog.
    /// Empty from a build that does not send it.
    public var database: String
    /// The database whose catalog ``catalogCursor`` counts (empty: unknown). A receiver whose own
    /// database is another (a second database presenting the same site's certificate) reads it as 0.
    public var catalogDatabase: String

    /// Creates a greeting.
    public init(
        version: Int = currentVersion, site: String, replica: ReplicaID, incarnation: UInt64, vector: VersionVector, catalogCursor: UInt64,
        database: String = "", catalogDatabase: String = ""
    ) {
        self.version = version
        self.site = site
        self.replica = replica
        self.incarnation = incarnation
        self.vector = vector
        self.catalogCursor = catalogCursor
        self.database = database
        self.catalogDatabase = catalogDatabase
    }

    /// The catalog cursor for a receiver whose database token is `database`: ``catalogCursor``
    /// when it counts that database's catalog, else 0 (everything is offered again; receiving is idempotent).
    public func catalogCursor(forDatabase database: String) -> UInt64 {
        !catalogDatabase.isEmpty && catalogDatabase == database ? catalogCursor : 0
    }
}

/// The end of a batch.
public struct BatchCommit: Hashable, Sendable {
    /// The batch's number on this link, from 1.
    public var batch: UInt64
    /// How many operations the batch carried.
    public var operations: Int
    /// The sender's catalog sequence number up to which the receiver now has its projects and documents.
    public var catalogCursor: UInt64

    /// Creates the end of a batch.
    public init(batch: UInt64, operations: Int, catalogCursor: UInt64) {
        self.batch = batch
        self.operations = operations
        self.catalogCursor = catalogCursor
    }
}

/// The receiver of a batch says it is durable, and what it now holds.
public struct BatchAcknowledgement: Hashable, Sendable {
    /// The batch's number.
    public var batch: UInt64
    /// The receiver's version vector after the batch.
    public var vector: VersionVector
    /// Operations of the batch held back because their clocks run too far ahead.
    public var held: Int

    /// Creates an acknowledgement.
    public init(batch: UInt64, vector: VersionVector, held: Int) {
        self.batch = batch
        self.vector = vector
        self.held = held
    }
}
