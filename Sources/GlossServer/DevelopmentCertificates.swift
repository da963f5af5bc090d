public import Foundation

/// A throwaway certificate authority and a server certificate signed by it,
/// made in-process for `glossd dev` and the tests: P-256 keys, the server
/// certificate naming `localhost` and `127.0.0.1`, valid for 30 days.
public struct DevelopmentCertificates: Sendable {
    /// The CA certificate, PEM: what clients trust (`gloss login --ca-file`).
    public let caPEM: String
    /// The server certificate, PEM.
    public let certificatePEM: String
    /// The server's private key, PEM (PKCS#8).
    public let privateKeyPEM: String

    /// Makes a new CA and server certificate for `hostnames` (DNS names or IP addresses).
    public static func make(hostnames: [String] = ["localhost", "127.0.0.1"]) throws -> DevelopmentCertificates {
        let authority = try CertificateAuthority.make(name: "Gloss development CA", organization: "Gloss development", days: 30)
        let server = try authority.issue(commonName: hostnames.first ?? "localhost", organization: "Gloss development", hostnames: hostnames, days: 30)
        return DevelopmentCertificates(caPEM: authority.certificatePEM, certificatePEM: server.certificatePEM, privateKeyPEM: server.privateKeyPEM)
    }

    /// Writes `ca.pem`, `server.pem` and `server-key.pem` (readable by the owner only) into `folder`.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeFile(caPEM, to: folder.appendingPathComponent("ca.pem"), secret: false)
        try writeFile(certificatePEM, to: folder.appendingPathComponent("server.pem"), secret: false)
        try writeFile(privateKeyPEM, to: folder.appendingPathComponent("server-key.pem"), secret: true)
    }
}
