public import NIOSSL

/// Where and how `glossd serve` listens.
public struct ServerConfiguration: Sendable {
    /// The address to bind, such as `127.0.0.1` or `0.0.0.0`.
    public var host: String
    /// The port; 0 picks a free one (read it back from ``GlossServer/port``).
    public var port: Int
    /// TLS settings: TLS 1.2 at least, the server's certificate chain and key.
    public var tls: TLSConfiguration
    /// The limits enforced on clients.
    public var limits: ServerLimits
    /// Replication with peer sites, when configured: clients may then present a
    /// certificate the cluster CA signed (optional; analysts still use tokens).
    public var replication: ReplicationSettings? {
        didSet {
            guard let replication else { return }
            tls.trustRoots = .certificates(replication.clusterAuthority)
            tls.certificateVerification = .optionalVerification
        }
    }

    /// A configuration; `tls` should come from ``tlsConfiguration(certificateChain:privateKey:)``.
    public init(host: String, port: Int, tls: TLSConfiguration, limits: ServerLimits = ServerLimits()) {
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
    }

    /// Server TLS with the given certificate chain and key: TLS 1.2 minimum
    /// (NIOSSL's default would allow 1.0), TLS 1.3 preferred, no client certificate.
    public static func tlsConfiguration(certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey) -> TLSConfiguration {
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey)
        )
        tls.minimumTLSVersion = .tlsv12
        tls.maximumTLSVersion = .tlsv13
        return tls
    }

    /// Server TLS from PEM files (the certificate file may hold the whole chain).
    ///
    /// - Throws: ``ServerSetupError`` naming the file that could not be read.
    public static func tlsConfiguration(certificateFile: String, keyFile: String) throws(ServerSetupError) -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        let key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certificateFile)
        } catch {
            throw ServerSetupError("cannot read the certificate \(certificateFile): \(error)")
        }
        guard !chain.isEmpty else { throw ServerSetupError("\(certificateFile) holds no PEM certificate") }
        do {
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ServerSetupError("cannot read the private key \(keyFile): \(error)")
        }
        return tlsConfiguration(certificateChain: chain, privateKey: key)
    }
}

/// The server could not start: a certificate, key or address problem, explained.
public struct ServerSetupError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do.
    public let description: String

    /// Creates an error.
    public init(_ description: String) {
        self.description = description
    }
}
