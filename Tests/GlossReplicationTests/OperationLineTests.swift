import Foundation
import GlossCore
import GlossCoreTesting
import GlossProtocol
import GlossReplication
import Testing

@Suite("The OP line's fast path")
struct OperationLineTests {
    static func operations() -> [AnnotationOperation] {
        var simulation = NetworkSimulator(seed: 11, replicaCount: 3)
        simulation.run(steps: 200)
        return simulation.known.flatMap(\.values)
    }

    static func fast(_ text: String) throws(PeerError) -> AnnotationOperation? {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { buffer in Result { () throws(PeerError) in try OperationLine.operation(in: buffer) } }.get()
    }

    @Test("Every operation's printed line has the fast form and reads back the same operation as the general parser")
    func sameAsGeneralParser() throws {
        let operations = Self.operations()
        #expect(operations.count > 100)
        for operation in operations {
            let text = LinePrinter.print(PeerMessage.operation(operation).line)
            #expect(text == OperationLine.prefix + Data(operation.encoded()).base64EncodedString())
            let fast = try #require(try Self.fast(text))
            guard case .operation(let general) = try PeerMessage(try LineParser.parse(text)) else {
                Issue.record("not an operation")
                return
            }
            #expect(fast == operation && general == operation)
        }
    }

    @Test("Any other form goes to the general parser (nil), so its answers stay as they were")
    func otherFormsFallBack() throws {
        let operation = try #require(Self.operations().first)
        let base64 = Data(operation.encoded()).base64EncodedString()
        for text in [
            "* OP \"\(base64)\"", "* OP \(base64)\r", "* OP  \(base64)", "*  OP \(base64)", "a1 OP \(base64)", "* op \(base64)",
            "* OP \(base64) extra", "* OP abc=def", "* OP ", "* OP", "* PING 1",
        ] {
            #expect(try Self.fast(text) == nil, "\(text.prefix(20))")
        }
    }

    @Test("Bytes of the fast form that are not a canonical operation are refused as peer-malformed")
    func refusesBadBytes() throws {
        let operation = try #require(Self.operations().first)
        var bytes = operation.encoded()
        for text in [
            "* OP " + Data(bytes + [0]).base64EncodedString(),
            "* OP " + Data(bytes.dropLast()).base64EncodedString(),
            "* OP " + String(Data(bytes).base64EncodedString().dropLast(1)),
            "* OP ====",
        ] {
            #expect(throws: PeerError.self) { try Self.fast(text) }
        }
        bytes[0] = 9
        #expect(throws: PeerError.self) { try Self.fast("* OP " + Data(bytes).base64EncodedString()) }
    }
}

@Suite("Live push")
struct LivePushTests {
    static let a = try! ReplicaID("a")
    static let b = try! ReplicaID("b")

    static func operation(_ replica: ReplicaID, _ counter: UInt64) -> AnnotationOperation {
        AnnotationOperation(
            dot: Dot(replica: replica, counter: counter), timestamp: HLCTimestamp(rawValue: counter << 16), author: "ana",
            annotation: AnnotationID(high: 1, low: 1), context: CausalContext(), payload: .delete
        )
    }

    @Test("Commits that continue the peer's vector go as they are, without what the peer holds")
    func continues() throws {
        let notion = VersionVector([(Self.a, 3)])
        let committed = [Self.operation(Self.a, 3), Self.operation(Self.a, 4), Self.operation(Self.b, 1), Self.operation(Self.a, 5)]
        let sent = try #require(LivePush.continuation(of: notion, with: committed))
        #expect(sent.map(\.dot) == [Dot(replica: Self.a, counter: 4), Dot(replica: Self.b, counter: 1), Dot(replica: Self.a, counter: 5)])
        #expect(LivePush.continuation(of: VersionVector([(Self.a, 9), (Self.b, 1)]), with: committed)?.isEmpty == true)
    }

    @Test("A gap means the log must be read")
    func gap() {
        #expect(LivePush.continuation(of: VersionVector([(Self.a, 3)]), with: [Self.operation(Self.a, 5)]) == nil)
        #expect(LivePush.continuation(of: VersionVector(), with: [Self.operation(Self.b, 1), Self.operation(Self.b, 3)]) == nil)
        #expect(LivePush.continuation(of: VersionVector(), with: [Self.operation(Self.b, 2)]) == nil)
    }
}

@Suite("A link's send schedule")
struct LinkSendScheduleTests {
    static let a = LivePushTests.a

    @Test("Until a read of the log comes back short, every wake-up reads the log")
    func catchUpReads() {
        var schedule = LinkSendSchedule(batchOperations: 100, pollMilliseconds: 500)
        let pushed = [LivePushTests.operation(Self.a, 1)]
        #expect(schedule.step(notion: VersionVector(), pushed: pushed, catalogChanges: 0, now: 0) == .readLog)
        schedule.loggedRead(operations: 100, full: false, at: 0, catalogChanges: 0)
        #expect(schedule.step(notion: VersionVector(), pushed: pushed, catalogChanges: 0, now: 1) == .readLog, "a full batch: more may wait")
        schedule.loggedRead(operations: 40, full: true, at: 1, catalogChanges: 0)
        #expect(schedule.step(notion: VersionVector(), pushed: nil, catalogChanges: 0, now: 2) == .readLog, "cut by bytes: more may wait")
    }

    @Test("Caught up: pushed commits go as they are, the catalog read only after it changed, gaps read the log")
    func caughtUpPushes() {
        var schedule = LinkSendSchedule(batchOperations: 2, pollMilliseconds: 500)
        schedule.loggedRead(operations: 0, full: false, at: 0, catalogChanges: 3)
        let notion = VersionVector([(Self.a, 4)])
        let next = [LivePushTests.operation(Self.a, 5)]
        #expect(schedule.step(notion: notion, pushed: next, catalogChanges: 3, now: 10) == .send(next, readCatalog: false))
        #expect(schedule.step(notion: notion, pushed: next, catalogChanges: 4, now: 11) == .send(next, readCatalog: true))
        #expect(schedule.step(notion: notion, pushed: next, catalogChanges: 4, now: 12) == .send(next, readCatalog: false))
        #expect(schedule.step(notion: notion, pushed: [LivePushTests.operation(Self.a, 7)], catalogChanges: 4, now: 13) == .readLog, "a gap")
        let many = (5...7).map { LivePushTests.operation(Self.a, $0) }
        #expect(schedule.step(notion: notion, pushed: many, catalogChanges: 4, now: 14) == .readLog, "more than a batch")
    }

    @Test("Caught up and nothing pushed: the log is read once per poll interval, or at once after a catalog change")
    func idlePolls() {
        var schedule = LinkSendSchedule(batchOperations: 100, pollMilliseconds: 500)
        schedule.loggedRead(operations: 3, full: false, at: 1_000, catalogChanges: 0)
        #expect(schedule.step(notion: VersionVector(), pushed: nil, catalogChanges: 0, now: 1_200) == .idle)
        #expect(schedule.step(notion: VersionVector(), pushed: nil, catalogChanges: 1, now: 1_201) == .readLog)
        #expect(schedule.step(notion: VersionVector(), pushed: nil, catalogChanges: 0, now: 1_500) == .readLog)
    }
}
