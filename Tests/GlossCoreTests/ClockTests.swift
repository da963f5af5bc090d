import GlossCore
import PropertyBased
import Testing

@Suite("Hybrid logical clock")
struct ClockTests {
    @Test("Timestamps keep increasing when the wall clock jumps back")
    func monotonicUnderJumpBack() {
        var clock = HybridLogicalClock()
        let first = clock.now(wallClockMilliseconds: 10_000)
        let second = clock.now(wallClockMilliseconds: 2_000)
        let third = clock.now(wallClockMilliseconds: 2_000)
        #expect(first < second && second < third)
        #expect(second.milliseconds == 10_000 && second.logical == 1)
        let fourth = clock.now(wallClockMilliseconds: 20_000)
        #expect(fourth == HLCTimestamp(milliseconds: 20_000, logical: 0))
    }

    @Test("Receiving a remote timestamp moves the clock past it")
    func receiveMerges() throws {
        var clock = HybridLogicalClock()
        _ = clock.now(wallClockMilliseconds: 1_000)
        let remote = HLCTimestamp(milliseconds: 5_000, logical: 7)
        let merged = try clock.receive(remote, wallClockMilliseconds: 1_200)
        #expect(merged > remote)
        #expect(clock.now(wallClockMilliseconds: 1_300) > merged)
    }

    @Test("A remote timestamp in the same millisecond as the last one moves the clock past the remote (5000.1, receive 5000.3: above 5000.3)")
    func sameMillisecondReceive() throws {
        for wall in [UInt64(4_000), 5_000] {
            var clock = HybridLogicalClock(last: HLCTimestamp(milliseconds: 5_000, logical: 1))
            let merged = try clock.receive(HLCTimestamp(milliseconds: 5_000, logical: 3), wallClockMilliseconds: wall)
            #expect(merged == HLCTimestamp(milliseconds: 5_000, logical: 4), "wall clock \(wall)")
            #expect(clock.now(wallClockMilliseconds: wall) == HLCTimestamp(milliseconds: 5_000, logical: 5))
        }
        var ahead = HybridLogicalClock(last: HLCTimestamp(milliseconds: 5_000, logical: 9))
        #expect(try ahead.receive(HLCTimestamp(milliseconds: 5_000, logical: 3), wallClockMilliseconds: 5_000) == HLCTimestamp(milliseconds: 5_000, logical: 10))
    }

    @Test("A remote timestamp beyond the drift limit is refused and leaves the clock alone")
    func driftRefused() {
        var clock = HybridLogicalClock(maximumDriftMilliseconds: 1_000)
        let before = clock.now(wallClockMilliseconds: 10_000)
        #expect { try clock.receive(HLCTimestamp(milliseconds: 11_001, logical: 0), wallClockMilliseconds: 10_000) } throws: {
            ($0 as? CoreError)?.code == .clockDrift
        }
        #expect(clock.last == before)
        #expect(throws: Never.self) { try clock.receive(HLCTimestamp(milliseconds: 11_000, logical: 0), wallClockMilliseconds: 10_000) }
    }

    @Test("A full logical counter carries into the milliseconds")
    func logicalOverflow() {
        var clock = HybridLogicalClock(last: HLCTimestamp(milliseconds: 5, logical: .max))
        let next = clock.now(wallClockMilliseconds: 5)
        #expect(next == HLCTimestamp(milliseconds: 6, logical: 0))
    }

    @Test("Property: any mix of local ticks and receives is strictly increasing")
    func monotonicProperty() async {
        let events = Gen.int(in: 0...3).array(of: 1...200)
        await propertyCheck(count: 200, input: events, Gen.uint64(in: 0...UInt64.max)) { kinds, seed in
            var random = SplitMix(seed: seed)
            var clock = HybridLogicalClock(maximumDriftMilliseconds: .max >> 20)
            var wall: UInt64 = 1_000_000
            var previous = HLCTimestamp.zero
            for kind in kinds {
                wall = kind == 0 ? wall - min(wall, random.next() % 5_000) : wall + random.next() % 50
                let next: HLCTimestamp
                if kind == 3 {
                    let remote = HLCTimestamp(milliseconds: wall + random.next() % 3_000 - 1_500, logical: UInt16(random.next() % 4))
                    next = try! clock.receive(remote, wallClockMilliseconds: wall)
                    #expect(next > remote)
                } else {
                    next = clock.now(wallClockMilliseconds: wall)
                }
                #expect(next > previous)
                previous = next
            }
        }
    }
}

/// A tiny deterministic generator for property bodies.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
