import Crypto
public import NIOSSL

/// How the client decides to trust the server's certificate.
public enum ServerTrust: Sendable, Hashable {
    /// The certificate must chain to the CA certificates in this PEM file and name the host.
    case certificateAuthority(path: String)
    /// The server's certificate must have this SHA-256 fingerprint (pinned on first use, like ssh).
    case fingerprint(String)
    /// Any certificate is accepted and its fingerprint recorded: only for `gloss login` learning a new server.
    case firstUse

    /// The SHA-256 fingerprint of a certificate, as `sha256:` and lower-case hex.
    public static func fingerprint(of certificate: NIOSSLCertificate) -> String {
        guard let der = try? certificate.toDERBytes() else { return "sha256:unknown" }
        return "sha256:" + SHA256.hash(data: der).map { byte in
            let digits = Array("0123456789abcdef")
            return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
        }.joined()
    }
}
