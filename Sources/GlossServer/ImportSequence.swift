import GlossCore
import GlossImport
import GlossProtocol
import GlossStore
import Synchronization

/// The replica imported annotations are made under, and the order their operations
/// are stored in.
///
/// Each server process imports under its own replica id, `SITE-import-RANDOM`, so two
/// processes on one database never make the same dot; its counters are stored without
/// gaps because one import is stored at a time (a failed one gives its counters back).
/// Each process that imported adds one entry to the version vector.
final class ImportSequence: Sendable {
    let replica: ReplicaID
    private let gate = TurnGate(limit: 1)
    private let counter = Mutex<UInt64>(1)

    init(site: ReplicaID) {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let base = String(site.rawValue.prefix(ReplicaID.maximumLength - 16))
        replica = (try? ReplicaID("\(base)-import-\(suffix)")) ?? (try! ReplicaID("import-\(suffix)"))
    }

    /// Builds an annotation's history from the next free counter and stores it.
    ///
    /// - Throws: the store's error as the client's; nothing is stored then.
    func store(_ build: (_ firstCounter: UInt64) -> ImportHistory, in store: GlossStore) async throws(ProtocolError) -> ImportHistory {
        await gate.enter()
        defer { gate.leave() }
        let history = build(counter.withLock { $0 })
        let batch: ReceivedBatch
        do {
            batch = try await store.apply(history.operations)
        } catch {
            throw ProtocolError(error)
        }
        // Stored, at least in part: its counters are never made again.
        counter.withLock { $0 = history.nextCounter }
        guard batch.held.isEmpty else {
            throw ProtocolError(.badRecord, "the record's times run ahead of this server's clock; check the file's times")
        }
        return history
    }
}
