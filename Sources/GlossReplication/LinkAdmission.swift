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

    /// Creates a description.
    public init(site: String, replica: ReplicaID, replicas: Set<ReplicaID>, vector: VersionVector) {
        self.site = site
        self.replica = replica
        self.replicas = replicas
        self.vector = vector
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
