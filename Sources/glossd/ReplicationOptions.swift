import ArgumentParser
import Foundation
import GlossServer
import NIOSSL

/// The cluster CA flag: whom this site trusts, and so whether it can speak to peer sites at all.
struct ClusterOptions: ParsableArguments {
    @Option(help: "The cluster CA certificate (PEM) that signed every site's certificate: serve replicates with it, check compares with a peer (env GLOSS_CLUSTER_CA).")
    var clusterCA: String?

    /// The cluster CA file, from the flag or GLOSS_CLUSTER_CA; nil when neither is set.
    var authorityFile: String? { clusterCA ?? ProcessInfo.processInfo.environment["GLOSS_CLUSTER_CA"] }

    /// This site as its peers see it, with no peers yet, or nil without a cluster CA; the
    /// site's name is its certificate's common name, and the certificate must be the CA's.
    func site(certificateFile: String, keyFile: String) throws -> ReplicationSettings? {
        guard let authorityFile else { return nil }
        do {
            let authority = try NIOSSLCertificate.fromPEMFile(authorityFile)
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            guard !authority.isEmpty, !chain.isEmpty else { throw ValidationError("\(authorityFile) or \(certificateFile) holds no certificate") }
            let certificatePEM = try String(contentsOfFile: certificateFile, encoding: .utf8)
            let site = try CertificateAuthority.commonName(ofPEM: certificatePEM)
            try CertificateAuthority.checkSigned(certificatePEM, by: try String(contentsOfFile: authorityFile, encoding: .utf8))
            return ReplicationSettings(site: site, clusterAuthority: authority, certificateChain: chain, privateKey: key, peers: [])
        } catch let error as ValidationError {
            throw error
        } catch let error as ServerSetupError {
            throw ValidationError("\(certificateFile): \(error.description)")
        } catch {
            throw ValidationError("cannot read the cluster CA \(authorityFile), the certificate \(certificateFile) or the key \(keyFile): \(error)")
        }
    }
}

/// The flags that make a server replicate with peer sites; each also reads a GLOSS_* variable.
struct ReplicationOptions: ParsableArguments {
    @OptionGroup var cluster: ClusterOptions

    @Option(help: "A peer site to link to, as host:port; repeatable (env GLOSS_PEERS, comma-separated). `glossd peer add` stores more.")
    var peer: [String] = []

    @Option(help: "Seconds local writes wait at start for a peer to confirm this database is not behind its own history (env GLOSS_IDENTITY_WAIT; default 10).")
    var identityWait: Int?

    /// The settings, or nil when replication is off.
    func settings(certificateFile: String, keyFile: String, limits: ServerLimits) throws -> ReplicationSettings? {
        let environment = ProcessInfo.processInfo.environment
        guard cluster.authorityFile != nil else {
            if !peer.isEmpty { throw ValidationError("--peer needs --cluster-ca: sites link only with certificates the cluster CA signed") }
            return nil
        }
        let peers = peer.isEmpty ? (environment["GLOSS_PEERS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : peer
        for address in peers where PeerAddress.split(address) == nil {
            throw ValidationError(PeerAddress.refusal(address, option: peer.isEmpty ? "comma in GLOSS_PEERS" : "--peer"))
        }
        let minimumLine = limits.maximumDocumentBytes / 3 * 4 + 65_536
        guard limits.maximumLineBytes >= minimumLine else {
            throw ValidationError(
                "--max-line (\(limits.maximumLineBytes)) must be at least \(minimumLine) when replicating: a document travels base64-encoded in one peer line"
            )
        }
        let wait = identityWait ?? environment["GLOSS_IDENTITY_WAIT"].flatMap { Int($0) } ?? 10
        guard (0...3_600).contains(wait) else { throw ValidationError("--identity-wait must be from 0 to 3600 seconds") }
        guard var settings = try cluster.site(certificateFile: certificateFile, keyFile: keyFile) else { return nil }
        settings.peers = peers
        settings.identityWait = .seconds(wait)
        return settings
    }
}
