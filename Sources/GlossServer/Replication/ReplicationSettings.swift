public import NIOSSL

/// How this site replicates: who it is, whom it trusts, whom it links to, and
/// the link's limits (see docs/REPLICATION.md).
public struct ReplicationSettings: Sendable {
    /// This site's name: the common name of its cluster certificate.
    public var site: String
    /// The cluster CA: peers must present a certificate it signed, and dialed peers must serve one.
    public var clusterAuthority: [NIOSSLCertificate]
    /// This site's certificate chain and key, presented when it dials a peer.
    public var certificateChain: [NIOSSLCertificate]
    public var privateKey: NIOSSLPrivateKey
    /// Peer addresses (`host:port`) given by flags or the environment; `glossd peer add` stores more in the database.
    public var peers: [String]
    /// Most operations in one batch sent to a peer.
    public var batchOperations = 2_000
    /// Most bytes of operation lines in one batch sent to a peer (a batch holds at least one operation).
    public var batchBytes = 4 << 20
    /// Most operations accepted in one batch from a peer; a larger batch closes the link.
    public var maximumReceivedBatch = 10_000
    /// Batches sent and not yet acknowledged before the sender waits; a receiver commits as many at once.
    public var window = 32
    /// Catalog entries (projects, documents) read at once.
    public var catalogBatch = 50
    /// How often a link looks for work it was not woken for (other processes' commits, new documents), and checks for silence.
    public var pollInterval: Duration = .milliseconds(500)
    /// A quiet link sends a heartbeat this often.
    public var heartbeat: Duration = .seconds(5)
    /// A link that hears nothing for this long is closed (and redialed).
    public var silenceLimit: Duration = .seconds(30)
    /// How often an idle sender re-reads what the peer acknowledged, so anything the peer held back is offered again.
    public var reconcileInterval: Duration = .seconds(10)
    /// The first and the largest wait before redialing a peer; waits double with each failure, with jitter.
    public var minimumBackoff: Duration = .milliseconds(250)
    public var maximumBackoff: Duration = .seconds(30)
    /// How long a dialed peer has to complete TLS and answer `PEER` (and `check --against` to be greeted).
    public var handshakeTimeout: Duration = .seconds(10)
    /// The wait before redialing a peer that refused the link for a lasting reason
    /// (``PeerError/isLasting``: the peer is this site, or their identities clash).
    public var lastingRefusalRetry: Duration = .seconds(600)
    /// At start, how long local writes of a site that has linked before wait for a peer's
    /// greeting to show whether this database is behind its own history (restored or copied).
    public var identityWait: Duration = .seconds(10)
    /// How often a process that does not run a link checks whether the one that does is gone.
    public var lockRetryInterval: Duration = .seconds(2)
    /// How often the stored peer list is reread.
    public var peerListInterval: Duration = .seconds(5)

    /// Settings for site `site`.
    public init(
        site: String, clusterAuthority: [NIOSSLCertificate], certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey, peers: [String]
    ) {
        self.site = site
        self.clusterAuthority = clusterAuthority
        self.certificateChain = certificateChain
        self.privateKey = privateKey
        self.peers = peers
    }
}
