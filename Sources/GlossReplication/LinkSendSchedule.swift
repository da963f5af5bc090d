public import GlossCore

/// What a link's sender does each time it wakes: the decision part of the sender,
/// as a plain state machine (the link executes its steps and reports back), so the
/// rules are tested without sockets or a database.
///
/// - While the peer lacks older operations (a catch-up, a gap), every wake-up reads
///   the log after the sender's notion of the peer's vector.
/// - Once a read of the log found less than a full batch, the link is caught up:
///   commits of this process, pushed to it in commit order, go as they are when they
///   continue the notion (``LivePush``), with no read; the catalog is read only when
///   this process stored a project or document since the last read.
/// - A wake-up with nothing pushed (an acknowledgement, the poll) reads the log at
///   most once per `pollInterval`: what other processes of the database commit, and
///   what a peer held back, is found that way.
public struct LinkSendSchedule: Sendable {
    /// The most operations in one batch.
    public let batchOperations: Int
    /// How often a caught-up sender reads the log when nothing is pushed, in milliseconds.
    public let pollMilliseconds: UInt64
    /// Whether the last read of the log found less than a batch.
    public private(set) var caughtUp = false
    private var lastLogRead: UInt64?
    private var catalogChangesRead: UInt64?

    /// A schedule for batches of at most `batchOperations`, reading the log at least every `pollMilliseconds` when idle.
    public init(batchOperations: Int, pollMilliseconds: UInt64) {
        self.batchOperations = batchOperations
        self.pollMilliseconds = pollMilliseconds
    }

    /// One step of the sender.
    public enum Step: Equatable, Sendable {
        /// Send these operations as they are (and the catalog first, if `readCatalog`).
        case send([AnnotationOperation], readCatalog: Bool)
        /// Read the catalog and the log after the notion, then report with ``loggedRead(operations:full:at:catalogChanges:)``.
        case readLog
        /// Nothing to send now.
        case idle
    }

    /// The step for a wake-up.
    /// - Parameters:
    ///   - notion: what the sender believes the peer holds.
    ///   - pushed: what this process committed since the last wake-up, in commit order; nil when unknown (nothing pushed, or too much).
    ///   - catalogChanges: how many times this process has stored a project or document (a counter that only grows).
    ///   - now: a monotonic time in milliseconds.
    public mutating func step(notion: VersionVector, pushed: [AnnotationOperation]?, catalogChanges: UInt64, now: UInt64) -> Step {
        guard caughtUp else { return .readLog }
        if let pushed {
            guard let live = LivePush.continuation(of: notion, with: pushed), live.count <= batchOperations else { return .readLog }
            let readCatalog = catalogChanges != catalogChangesRead
            if readCatalog { catalogChangesRead = catalogChanges }
            return .send(live, readCatalog: readCatalog)
        }
        if catalogChanges == catalogChangesRead, let last = lastLogRead, now < last + pollMilliseconds { return .idle }
        return .readLog
    }

    /// Reports a read of the log: how many operations it found, whether a limit cut it
    /// (`full`), when, and the catalog change counter read before it.
    public mutating func loggedRead(operations: Int, full: Bool, at now: UInt64, catalogChanges: UInt64) {
        caughtUp = !full && operations < batchOperations
        lastLogRead = now
        catalogChangesRead = catalogChanges
    }
}
