public import Foundation
public import GlossCore
import GlossServer
import GlossStore

/// A cluster of replicating sites for tests: one cluster CA, and for each site a
/// real glossd on its own database, with a certificate naming the site.
public final class SiteCluster: Sendable {
    let authority: CertificateAuthority
    /// Holds the cluster CA's certificate (`ca.pem`) that the sites read at every start
    /// (scripts/test removes its whole scratch folder afterwards).
    let folder: URL

    /// A new cluster CA.
    public init() throws {
        authority = try CertificateAuthority.make(name: "Gloss test cluster CA", organization: "Gloss tests", days: 2)
        folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-cluster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeFile(authority.certificatePEM, to: folder.appendingPathComponent("ca.pem"), secret: false)
    }


    /// Writes the cluster CA (`ca.pem`) and site `site`'s certificate and key (`server.pem`, `server-key.pem`) into a folder.
    public func certificates(for site: String) -> (URL) throws -> Void {
        let authority = authority
        return { folder in
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let issued = try authority.issue(commonName: site, organization: "Gloss tests", hostnames: ["localhost", "127.0.0.1"], days: 2)
            try writeFile(authority.certificatePEM, to: folder.appendingPathComponent("ca.pem"), secret: false)
            try writeFile(issued.certificatePEM, to: folder.appendingPathComponent("server.pem"), secret: false)
            try writeFile(issued.privateKeyPEM, to: folder.appendingPathComponent("server-key.pem"), secret: true)
        }
    }

    /// Starts site `site` (replica `site-1` unless given) on `database`, linking to the sites in `peers`.
    public func start(
        _ site: String, on database: TestDatabase, replica: String? = nil, peers: [ServerProcess] = [], arguments: [String] = [],
        existingTokens: [String: String]? = nil
    ) async throws -> ServerProcess {
        var links = ["--cluster-ca", folder.appendingPathComponent("ca.pem").path]
        for peer in peers { links += ["--peer", "127.0.0.1:\(peer.port)"] }
        return try await ServerProcess.start(
            database, replica: replica ?? "\(site)-1", arguments: links + arguments, existingTokens: existingTokens, certificates: certificates(for: site)
        )
    }

    /// The per-document digests of each site's database.
    public static func digests(_ sites: [ServerProcess]) async throws -> [[String: StateDigest]] {
        var all: [[String: StateDigest]] = []
        for site in sites {
            all.append(try await site.database.withStore(replica: "digest-reader", migrate: false) { store in try await store.documentDigests() })
        }
        return all
    }

    /// Waits until every site holds the same annotations (equal per-document digests,
    /// at least `minimumDocuments` of them); throws with the last digests after `limit`.
    public static func waitForConvergence(_ sites: [ServerProcess], minimumDocuments: Int = 1, within limit: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + limit
        var last: [[String: StateDigest]] = []
        while ContinuousClock.now < deadline {
            last = try await digests(sites)
            if let first = last.first, first.count >= minimumDocuments, last.allSatisfy({ $0 == first }) { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        var vectors: [String] = []
        for site in sites {
            let vector = try await site.database.withStore(replica: "digest-reader", migrate: false) { store in try await store.versionVector() }
            vectors.append("\(site.replica): \(vector)\n" + site.log.split(separator: "\n").suffix(12).joined(separator: "\n"))
        }
        throw ServerTestError(
            "sites did not converge within \(limit): \(last.map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.description.prefix(8))" } }); vectors \(vectors)"
        )
    }
}
