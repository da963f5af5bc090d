import GlossCore
import GlossCoreTesting
import Testing

@Suite("Sequencer: dots, clock and applied operations in one place")
struct SequencerTests {
    static let here = try! ReplicaID("here")
    static let there = try! ReplicaID("there")

    static func operation(_ replica: ReplicaID, _ counter: UInt64, milliseconds: UInt64, author: String = "ana") -> AnnotationOperation {
        AnnotationOperation(
            dot: Dot(replica: replica, counter: counter), timestamp: HLCTimestamp(milliseconds: milliseconds, logical: 0), author: author,
            annotation: AnnotationID(high: 1, low: counter), context: CausalContext(), payload: .set(.note("n"))
        )
    }

    @Test("Local dots count up from the counter, and each is recorded as applied")
    func localDots() {
        var sequencer = Sequencer(replica: Self.here)
        let first = sequencer.stampLocal(wallClockMilliseconds: 1_000)
        let second = sequencer.stampLocal(wallClockMilliseconds: 1_000)
        #expect(first.dot == Dot(replica: Self.here, counter: 1) && second.dot == Dot(replica: Self.here, counter: 2))
        #expect(second.timestamp > first.timestamp)
        #expect(sequencer.vector[Self.here] == 2 && sequencer.counter == 2)
    }

    @Test("An operation too far ahead is held with its origin's later ones; the rest of its batch is admitted; the clock ignores the held")
    func driftHoldsOneOperation() throws {
        var sequencer = Sequencer(replica: Self.here, clock: HybridLogicalClock(maximumDriftMilliseconds: 1_000))
        let elsewhere = try ReplicaID("elsewhere")
        let batch = [
            Self.operation(Self.there, 1, milliseconds: 10_000), Self.operation(Self.there, 2, milliseconds: 99_000),
            Self.operation(elsewhere, 1, milliseconds: 10_500), Self.operation(Self.there, 3, milliseconds: 10_500),
        ]
        let admission = try sequencer.admit(batch, wallClockMilliseconds: 10_000)
        #expect(admission.accepted.map(\.dot) == [Dot(replica: Self.there, counter: 1), Dot(replica: elsewhere, counter: 1)])
        #expect(admission.held.map(\.operation.dot.counter) == [2, 3], "the later operations of the held one's origin wait with it")
        #expect(admission.held.allSatisfy { $0.reason.code == .clockDrift })
        #expect(sequencer.clock.last.milliseconds == 10_500)
        #expect(!sequencer.applied.contains(Dot(replica: Self.there, counter: 2)))
        #expect(sequencer.vector[Self.there] == 1, "each origin stays contiguous")
        let later = try sequencer.admit(batch, wallClockMilliseconds: 98_500)
        #expect(later.accepted.map(\.dot.counter) == [2, 3] && later.duplicates == 2 && later.held.isEmpty)
        #expect(sequencer.vector[Self.there] == 3)
    }

    @Test("An invalid operation refuses its whole batch and changes nothing")
    func invalidRefusesAll() {
        var sequencer = Sequencer(replica: Self.here)
        let before = sequencer.applied
        let batch = [Self.operation(Self.there, 1, milliseconds: 5), Self.operation(Self.there, 2, milliseconds: 5, author: "")]
        #expect { try sequencer.admit(batch, wallClockMilliseconds: 10) } throws: { ($0 as? CoreError)?.code == .malformedOperation }
        #expect(sequencer.applied == before && sequencer.clock.last == .zero)
    }

    @Test("A repeat within a batch or of an applied operation is admitted once")
    func duplicates() throws {
        var sequencer = Sequencer(replica: Self.here)
        let one = Self.operation(Self.there, 1, milliseconds: 5)
        let admission = try sequencer.admit([one, one], wallClockMilliseconds: 10)
        #expect(admission.accepted.count == 1 && admission.duplicates == 1)
        #expect(try sequencer.admit([one], wallClockMilliseconds: 10).duplicates == 1)
    }

    @Test("This replica's own operations coming back from a peer (its history, as a greeting showed) move its counter past them: no dot is reused")
    func ownOperationsFromAPeer() throws {
        var sequencer = Sequencer(replica: Self.here)
        _ = sequencer.stampLocal(wallClockMilliseconds: 1)
        sequencer.requireHistory(upTo: 7)
        let recovered = try sequencer.admit([Self.operation(Self.here, 7, milliseconds: 2)], wallClockMilliseconds: 3)
        #expect(recovered.accepted.count == 1)
        #expect(sequencer.stampLocal(wallClockMilliseconds: 3).dot == Dot(replica: Self.here, counter: 8))
    }

    @Test("An operation under this replica's id that it never issued, beyond the history a peer showed, is held as forked-replica with its origin's later ones")
    func forkedReplica() throws {
        var sequencer = Sequencer(replica: Self.here)
        _ = sequencer.stampLocal(wallClockMilliseconds: 1)
        _ = sequencer.stampLocal(wallClockMilliseconds: 1)
        let admission = try sequencer.admit(
            [Self.operation(Self.here, 2, milliseconds: 2), Self.operation(Self.here, 3, milliseconds: 2), Self.operation(Self.here, 4, milliseconds: 2),
             Self.operation(Self.there, 1, milliseconds: 2)],
            wallClockMilliseconds: 3
        )
        #expect(admission.duplicates == 1, "its own dot 2 came back: a duplicate")
        #expect(admission.held.map(\.operation.dot.counter) == [3, 4])
        #expect(admission.held.allSatisfy { $0.reason.code == .forkedReplica })
        #expect(admission.held.first?.reason.message.contains("another process or site writes as replica") == true)
        #expect(admission.accepted.map(\.dot) == [Dot(replica: Self.there, counter: 1)])
        #expect(sequencer.counter == 2 && !sequencer.vector.includes(VersionVector([(Self.here, 3)])))
    }

    @Test("Resynchronizing from storage never moves the clock back nor the counter below a stored dot")
    func resynchronize() {
        var sequencer = Sequencer(replica: Self.here)
        let issued = sequencer.stampLocal(wallClockMilliseconds: 50_000).timestamp
        sequencer.resynchronize(
            storedCounter: 4, storedVector: VersionVector([(Self.here, 4), (Self.there, 9)]), latestTimestamp: HLCTimestamp(milliseconds: 10, logical: 0)
        )
        #expect(sequencer.clock.last == issued)
        #expect(sequencer.vector[Self.there] == 9)
        #expect(sequencer.stampLocal(wallClockMilliseconds: 1).dot.counter == 5)
        sequencer.resynchronize(storedCounter: 0, storedVector: VersionVector([(Self.here, 12)]), latestTimestamp: HLCTimestamp(milliseconds: 60_000, logical: 3))
        #expect(sequencer.counter == 12 && sequencer.clock.last == HLCTimestamp(milliseconds: 60_000, logical: 3))
    }

    @Test("Property: a replica fed by the network simulator issues each dot once, in order")
    func simulatedDotsAreUnique() {
        var simulation = NetworkSimulator(seed: 5, replicaCount: 3)
        simulation.run(steps: 300)
        simulation.repair()
        for replica in simulation.replicas {
            let own = simulation.known[0].values.filter { $0.dot.replica == replica.id }.map(\.dot.counter).sorted()
            #expect(own == Array(Set(own)).sorted())
            #expect(own.isEmpty || own == Array(1...UInt64(own.count)))
        }
    }
}

extension SequencerTests {
    @Test("A replica asked to recover its own history issues nothing until its operations up to that point arrive")
    func recovery() throws {
        var sequencer = Sequencer(replica: Self.here)
        _ = sequencer.stampLocal(wallClockMilliseconds: 1)
        sequencer.requireHistory(upTo: 3)
        #expect(sequencer.isRecovering)
        _ = try sequencer.admit([Self.operation(Self.here, 2, milliseconds: 2)], wallClockMilliseconds: 3)
        #expect(sequencer.isRecovering)
        _ = try sequencer.admit([Self.operation(Self.here, 3, milliseconds: 2)], wallClockMilliseconds: 3)
        #expect(!sequencer.isRecovering)
        #expect(sequencer.stampLocal(wallClockMilliseconds: 4).dot.counter == 4)
    }

    @Test("Runs another process stored are recorded as applied: joined to the vector, or as single dots past a gap")
    func runsStoredElsewhere() {
        var sequencer = Sequencer(replica: Self.here)
        sequencer.recordStored(Self.there, from: 1, through: 5_000)
        #expect(sequencer.vector[Self.there] == 5_000 && sequencer.applied.extras.isEmpty)
        sequencer.recordStored(Self.there, from: 5_003, through: 5_004)
        #expect(sequencer.vector[Self.there] == 5_000 && sequencer.applied.extras.count == 2)
        sequencer.recordStored(Self.there, from: 4_000, through: 5_002)
        #expect(sequencer.vector[Self.there] == 5_004 && sequencer.applied.extras.isEmpty, "a run that closes the gap absorbs the dots past it")
        sequencer.recordStored(Self.there, from: 10, through: 9)
        #expect(sequencer.vector[Self.there] == 5_004)
        let admission = try? sequencer.admit([Self.operation(Self.there, 4_999, milliseconds: 1)], wallClockMilliseconds: 1)
        #expect(admission?.duplicates == 1, "what another process stored is a duplicate here")
    }
}
