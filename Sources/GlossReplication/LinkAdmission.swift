public import GlossCore

/// What a site knows of itself when a peer greets it.
public struct LocalSite: Sendable, Hashable {
    /// The site's name (its certificate's common name).
    public var site: String
    /// The replica id this glossd writes under.
    public var replica: ReplicaID
    /// Every replica id ever registered on this site's database.
    public var replicas: Set<ReplicaID>
    /// Every operation the site holds, per origin.
    public var vector: VersionVector
    /// The site each peer replica id has greeted from before.
    public var peerReplicas: [ReplicaID: String]

    /// Creates a description.
    public init(site: String, replica: ReplicaID, replicas: Set<ReplicaID>, vector: VersionVector, peerReplicas: [ReplicaID: String] = [:]) {
        self.site = site
        self.replica = replica
        self.replicas = replicas
        self.vector = vector
        self.peerReplicas = peerReplicas
    }
}

/// The decision on a peer's greeting.
public enum LinkVerdict: Sendable, Hashable {
    /// Link.
    case accept
    /// Link, to recover this site's own operations that the peer holds and this
    /// site lacks (its database was restored from a backup or copied): local
    /// writes under this site's replica id wait until the site's history
    /// reaches `counter`, so no dot is issued twice.
    case recover(counter: UInt64, warning: PeerError)
    /// Do not link; say why and close.
    case refuse(PeerError)
}

/// A link that has passed its greeting, as the running links are compared.
public struct LiveLink: Sendable, Hashable {
    /// The peer's site.
    public var site: String
    /// The replica id it greeted with.
    public var replica: ReplicaID
    /// Its incarnation.
    public var incarnation: UInt64
    /// Whether this side dialed it, and at which address (nil: the peer dialed in).
    public var dialedAddress: String?
    /// The token of the database it greeted from (empty: not sent).
    public var database: String

    /// Creates one.
    public init(site: String, replica: ReplicaID, incarnation: UInt64, dialedAddress: String? = nil, database: String = "") {
        self.site = site
        self.replica = replica
        self.incarnation = incarnation
        self.dialedAddress = dialedAddress
        self.database = database
    }

    /// Why `newcomer` may not run beside `running`, or nil when it may: one replica
    /// of one site greeting from two incarnations at once is two live copies of a
    /// site (a copied database), since each glossd process has its own replica id.
    ///
    /// A link this side dialed to a peer process it already dialed through another
    /// address (`localhost` and `127.0.0.1`, say) is refused too: one link per peer is enough.
    public static func conflict(between running: [LiveLink], and newcomer: LiveLink) -> PeerError? {
        if let address = newcomer.dialedAddress,
            let twin = running.first(where: {
                $0.site == newcomer.site && $0.replica == newcomer.replica && $0.incarnation == newcomer.incarnation && $0.dialedAddress != nil
            })
        {
            return PeerError(
                "already-linked",
                "site \(newcomer.site) is linked already through \(twin.dialedAddress ?? "another address"); \(address) reaches the same glossd: keep one of the two peer addresses"
            )
        }
        if !newcomer.database.isEmpty,
            let other = running.first(where: { $0.site == newcomer.site && !$0.database.isEmpty && $0.database != newcomer.database })
        {
            return PeerError(
                "duplicate-site",
                "site \(newcomer.site) greets from two databases at once (replica \(other.replica) from database \(other.database), replica \(newcomer.replica) from database \(newcomer.database)): two databases present one site's certificate; give each site its own (glossd cert issue --site NAME)"
            )
        }
        guard let twin = running.first(where: { $0.site == newcomer.site && $0.replica == newcomer.replica && $0.incarnation != newcomer.incarnation })
        else { return nil }
        return PeerError(
            "duplicate-site",
            "site \(newcomer.site) replica \(newcomer.replica) is linked already (incarnation \(twin.incarnation)) and greets again as incarnation \(newcomer.incarnation): two live copies of one site (a copied database?); stop one, or give it its own site and replica id"
        )
    }
}

/// Reviews a peer's greeting before a link carries anything: the rules that
/// keep replica ids and histories from forking (docs/REPLICATION.md, "Identity").
public enum LinkAdmission {
    /// Decides on `hello`, sent by the site whose verified certificate names `certificateSite`.
    public static func review(_ hello: PeerHello, certificateSite: String, local: LocalSite) -> LinkVerdict {
        guard hello.version == PeerHello.currentVersion else {
            return .refuse(PeerError("peer-version", "the peer speaks peer protocol version \(hello.version); this site speaks \(PeerHello.currentVersion)"))
        }
        guard hello.site == certificateSite else {
            return .refuse(PeerError("peer-identity", "the peer's certificate names site \(certificateSite) but its greeting says \(hello.site)"))
        }
        guard hello.site != local.site else {
            return .refuse(
                PeerError("same-site", "the peer is site \(hello.site), this site's own name: a site linked to itself, or two sites hold one certificate")
            )
        }
        guard !local.replicas.contains(hello.replica) else {
            return .refuse(
                PeerError(
                    "identity-conflict",
                    "site \(hello.site) writes as replica \(hello.replica), an id this site's database uses: two sites share a replica id (a copied database?); give one of them a new --replica-id"
                )
            )
        }
        if let owner = local.peerReplicas[hello.replica], owner != hello.site {
            return .refuse(
                PeerError(
                    "identity-conflict",
                    "site \(hello.site) writes as replica \(hello.replica), which is site \(owner)'s: two sites share a replica id (a copied database?); give one of them a new --replica-id"
                )
            )
        }
        let theirs = hello.vector[local.replica]
        let ours = local.vector[local.replica]
        if theirs > ours {
            return .recover(
                counter: theirs,
                warning: PeerError(
                    "behind-own-history",
                    "site \(hello.site) holds operations of this site's replica \(local.replica) up to \(theirs), but this database only up to \(ours): it was restored from an older backup or copied. Local writes wait until those operations are recovered from peers"
                )
            )
        }
        return .accept
    }
}
