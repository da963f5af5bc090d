public import GlossCore

/// How far two sites' version vectors are apart, in operations.
public struct Lag: Sendable, Hashable {
    /// Operations this site holds that the peer lacks (to send).
    public let peerLacks: UInt64
    /// Operations the peer holds that this site lacks (to receive).
    public let localLacks: UInt64

    /// The lag between this site's vector and the peer's last known one.
    public init(local: VersionVector, peer: VersionVector) {
        var peerLacks: UInt64 = 0
        var localLacks: UInt64 = 0
        for entry in local.entries where entry.counter > peer[entry.replica] { peerLacks += entry.counter - peer[entry.replica] }
        for entry in peer.entries where entry.counter > local[entry.replica] { localLacks += entry.counter - local[entry.replica] }
        self.peerLacks = peerLacks
        self.localLacks = localLacks
    }
}
