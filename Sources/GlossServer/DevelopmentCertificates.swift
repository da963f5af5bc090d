import Crypto
public import Foundation
import SwiftASN1
import X509

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
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("Gloss development")
            CommonName("Gloss development CA")
        }
        let caCertificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(caKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 30 * 86_400, issuer: caName, subject: caName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(caKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        let names: [GeneralName] = hostnames.map { host in
            if let address = ipv4Bytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))) }
            return .dnsName(host)
        }
        let serverCertificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + 30 * 86_400, issuer: caName,
            subject: try DistinguishedName {
                OrganizationName("Gloss development")
                CommonName(hostnames.first ?? "localhost")
            },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(caKey)
        )
        return DevelopmentCertificates(
            caPEM: try caCertificate.serializeAsPEM().pemString,
            certificatePEM: try serverCertificate.serializeAsPEM().pemString,
            privateKeyPEM: serverKey.pemRepresentation
        )
    }

    /// Writes `ca.pem`, `server.pem` and `server-key.pem` (readable by the owner only) into `folder`.
    public func write(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(caPEM.utf8).write(to: folder.appendingPathComponent("ca.pem"))
        try Data(certificatePEM.utf8).write(to: folder.appendingPathComponent("server.pem"))
        let key = folder.appendingPathComponent("server-key.pem")
        try Data(privateKeyPEM.utf8).write(to: key)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: key.path)
    }
}

/// The four bytes of a dotted IPv4 address.
private func ipv4Bytes(_ text: String) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    let bytes = parts.compactMap { UInt8($0) }
    return bytes.count == 4 ? bytes : nil
}
