/// The identity of one operation: the replica that made it and that replica's
/// counter, which grows by one with each operation it makes.
public struct Dot: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The replica that made the operation.
    public let replica: ReplicaID
    /// The replica's counter at that operation, starting at 1.
    public let counter: UInt64

    /// Creates a dot.
    public init(replica: ReplicaID, counter: UInt64) {
        self.replica = replica
        self.counter = counter
    }

    public static func < (lhs: Dot, rhs: Dot) -> Bool {
        lhs.replica == rhs.replica ? lhs.counter < rhs.counter : lhs.replica < rhs.replica
    }

    public var description: String { "\(replica.rawValue):\(counter)" }
}
