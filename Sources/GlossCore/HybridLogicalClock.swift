/// A hybrid logical timestamp: wall-clock milliseconds in the high 48 bits and
/// a logical counter in the low 16 bits, so plain integer order is causal order.
public struct HLCTimestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed 64-bit value.
    public let rawValue: UInt64

    /// Wraps a packed value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Packs milliseconds since the Unix epoch and a logical counter.
    public init(milliseconds: UInt64, logical: UInt16) {
        rawValue = (milliseconds << 16) | UInt64(logical)
    }

    /// The zero timestamp, before every other.
    public static let zero = HLCTimestamp(rawValue: 0)

    /// Milliseconds since the Unix epoch.
    public var milliseconds: UInt64 { rawValue >> 16 }
    /// The logical counter that orders events within one millisecond.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (lhs: HLCTimestamp, rhs: HLCTimestamp) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { "\(milliseconds).\(logical)" }
}

/// A hybrid logical clock (Kulkarni et al., 2014): timestamps that never go
/// backwards, stay close to the wall clock, and exceed every timestamp the
/// replica has seen.
///
/// The wall clock is passed in, so the clock is pure and testable; a remote
/// timestamp too far in the future is refused rather than dragging the clock along.
public struct HybridLogicalClock: Sendable {
    /// The default limit on how far a remote timestamp may run ahead of the local wall clock: one minute.
    public static let defaultMaximumDriftMilliseconds: UInt64 = 60_000

    /// The latest timestamp issued or received.
    public private(set) var last: HLCTimestamp
    /// How far ahead of the local wall clock a remote timestamp may be.
    public let maximumDriftMilliseconds: UInt64

    /// A clock that has issued nothing yet.
    public init(last: HLCTimestamp = .zero, maximumDriftMilliseconds: UInt64 = defaultMaximumDriftMilliseconds) {
        self.last = last
        self.maximumDriftMilliseconds = maximumDriftMilliseconds
    }

    /// Issues a timestamp for a local event, later than every earlier one even
    /// when the wall clock has jumped back.
    public mutating func now(wallClockMilliseconds wall: UInt64) -> HLCTimestamp {
        let physical = max(last.milliseconds, wall)
        last = physical == last.milliseconds ? Self.successor(of: last) : HLCTimestamp(milliseconds: physical, logical: 0)
        return last
    }

    /// Merges a timestamp received from another replica and returns a local
    /// timestamp later than both it and every earlier local one.
    ///
    /// - Throws: ``CoreError/Code/clockDrift`` when `remote` is more than
    ///   ``maximumDriftMilliseconds`` ahead of `wall`; the clock is unchanged.
    @discardableResult
    public mutating func receive(_ remote: HLCTimestamp, wallClockMilliseconds wall: UInt64) throws(CoreError) -> HLCTimestamp {
        if remote.milliseconds > wall &+ maximumDriftMilliseconds {
            throw CoreError(
                .clockDrift,
                "remote timestamp \(remote) is \(remote.milliseconds - wall) ms ahead of this clock (limit \(maximumDriftMilliseconds) ms); check the clocks of both servers"
            )
        }
        let physical = max(last.milliseconds, remote.milliseconds, wall)
        if physical == last.milliseconds, physical == remote.milliseconds {
            last = Self.successor(of: max(last, remote))
        } else if physical == last.milliseconds {
            last = Self.successor(of: last)
        } else if physical == remote.milliseconds {
            last = Self.successor(of: remote)
        } else {
            last = HLCTimestamp(milliseconds: physical, logical: 0)
        }
        return last
    }

    /// The next timestamp after `timestamp`; a full logical counter carries into the milliseconds.
    private static func successor(of timestamp: HLCTimestamp) -> HLCTimestamp {
        HLCTimestamp(rawValue: timestamp.rawValue + 1)
    }
}
