import GlossCore
import GlossProtocol
import Synchronization

/// The replica imported annotations are made under, and the order imports run in.
///
/// Each server process imports under its own replica id, `SITE-import-RANDOM`, so two
/// processes on one database never make the same dot. Imports run one at a time: an
/// annotation's existence is checked and its history stored in one turn, so the same
/// record twice (in one file, or two imports at once) creates it once, and counters are
/// stored in order without gaps. Each process that imported adds one entry to the
/// version vector.
final class ImportSequence: Sendable {
    let replica: ReplicaID
    private let gate = TurnGate(limit: 1)
    private let counter = Mutex<UInt64>(1)

    init(site: ReplicaID) {
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let base = String(site.rawValue.prefix(ReplicaID.maximumLength - 16))
        replica = (try? ReplicaID("\(base)-import-\(suffix)")) ?? (try! ReplicaID("import-\(suffix)"))
    }

    /// Runs `body` alone, given the next free counter; `body` returns its result and, when it
    /// stored operations (even in part), the counter after them, which is never made again.
    func serially<Result: Sendable>(
        _ body: (_ firstCounter: UInt64) async throws(ProtocolError) -> (result: Result, nextCounter: UInt64?)
    ) async throws(ProtocolError) -> Result {
        await gate.enter()
        defer { gate.leave() }
        let (result, next) = try await body(counter.withLock { $0 })
        if let next { counter.withLock { $0 = next } }
        return result
    }
}
