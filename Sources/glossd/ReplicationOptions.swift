import ArgumentParser
import Foundation
import GlossServer
import NIOSSL

/// The flags that make a server replicate with peer sites; each also reads a GLOSS_* variable.
struct ReplicationOptions: ParsableArguments {
    @Option(help: "The cluster CA certificate (PEM) that signed every site's certificate; turns replication on (env GLOSS_CLUSTER_CA).")
    var clusterCA: String?

    @Option(help: "A peer site to link to, as host:port; repeatable (env GLOSS_PEERS, comma-separated). `glossd peer add` stores more.")
    var peer: [String] = []

    @Option(help: "Seconds local writes wait at start for a peer to confirm this database is not behind its own history (env GLOSS_IDENTITY_WAIT; default 10).")
    var identityWait: Int?

    /// The settings, or nil when replication is off; the site's name is its certificate's common name.
    func settings(certificateFile: String, keyFile: String, limits: ServerLimits) throws -> ReplicationSettings? {
        let environment = ProcessInfo.processInfo.environment
        guard let authorityFile = clusterCA ?? environment["GLOSS_CLUSTER_CA"] else {
            if !peer.isEmpty { throw ValidationError("--peer needs --cluster-ca: sites link only with certificates the cluster CA signed") }
            return nil
        }
        let peers = peer.isEmpty ? (environment["GLOSS_PEERS"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } : peer
        for address in peers where PeerAddress.split(address) == nil {
            throw ValidationError(PeerAddress.refusal(address))
        }
        let minimumLine = limits.maximumDocumentBytes / 3 * 4 + 65_536
        guard limits.maximumLineBytes >= minimumLine else {
            throw ValidationError(
                "--max-line (\(limits.maximumLineBytes)) must be at least \(minimumLine) when replicating: a document travels base64-encoded in one peer line"
            )
        }
        do {
            let authority = try NIOSSLCertificate.fromPEMFile(authorityFile)
            let chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
            let key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
            guard !authority.isEmpty, !chain.isEmpty else { throw ValidationError("\(authorityFile) or \(certificateFile) holds no certificate") }
            let certificatePEM = try String(contentsOfFile: certificateFile, encoding: .utf8)
            let site = try CertificateAuthority.commonName(ofPEM: certificatePEM)
            try CertificateAuthority.checkSigned(certificatePEM, by: try String(contentsOfFile: authorityFile, encoding: .utf8))
            var settings = ReplicationSettings(site: site, clusterAuthority: authority, certificateChain: chain, privateKey: key, peers: peers)
            let wait = identityWait ?? environment["GLOSS_IDENTITY_WAIT"].flatMap { Int($0) } ?? 10
            guard (0...3_600).contains(wait) else { throw ValidationError("--identity-wait must be from 0 to 3600 seconds") }
            settings.identityWait = .seconds(wait)
            return settings
        } catch let error as ValidationError {
            throw error
        } catch let error as ServerSetupError {
            throw ValidationError("\(certificateFile): \(error.description)")
        } catch {
            throw ValidationError("cannot read the cluster CA \(authorityFile), the certificate \(certificateFile) or the key \(keyFile): \(error)")
        }
    }
}
