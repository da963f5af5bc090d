import Crypto
public import Foundation
import SwiftASN1
import X509

/// A certificate authority made in-process (P-256), and the leaf certificates it
/// issues: what `glossd dev` uses for development TLS, and what `glossd cert`
/// uses for a cluster of sites, where the authority vouches for every site.
public struct CertificateAuthority: Sendable {
    /// The authority's certificate, PEM.
    public let certificatePEM: String
    /// The authority's private key, PEM (PKCS#8). Keep it off the servers.
    public let privateKeyPEM: String

    /// A new authority named `name` (organization `organization`), valid for `days` days.
    public static func make(name: String, organization: String, days: Int) throws -> CertificateAuthority {
        let now = Date()
        let key = P256.Signing.PrivateKey()
        let subject = try DistinguishedName {
            OrganizationName(organization)
            CommonName(name)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86_400, issuer: subject, subject: subject,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
            },
            issuerPrivateKey: .init(key)
        )
        return CertificateAuthority(made: try certificate.serializeAsPEM().pemString, key: key.pemRepresentation)
    }

    /// Reads an authority from its PEM certificate and key.
    ///
    /// - Throws: ``ServerSetupError`` when either does not parse or they do not belong together.
    public init(certificatePEM: String, privateKeyPEM: String) throws(ServerSetupError) {
        do {
            let certificate = try Certificate(pemEncoded: certificatePEM)
            let key = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
            guard Certificate.PublicKey(key.publicKey) == certificate.publicKey else {
                throw ServerSetupError("the CA key does not belong to the CA certificate")
            }
        } catch let error as ServerSetupError {
            throw error
        } catch {
            throw ServerSetupError("the CA certificate or key does not parse (PEM, P-256 expected): \(error)")
        }
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    private init(made certificatePEM: String, key privateKeyPEM: String) {
        self.certificatePEM = certificatePEM
        self.privateKeyPEM = privateKeyPEM
    }

    /// Issues a certificate for serving and for client use (TLS client and server
    /// authentication), with common name `commonName`, naming `hostnames` (DNS
    /// names or IPv4 addresses), valid for `days` days. Returns the certificate and key, PEM.
    public func issue(commonName: String, organization: String, hostnames: [String], days: Int) throws -> (certificatePEM: String, privateKeyPEM: String) {
        let now = Date()
        let authority = try Certificate(pemEncoded: certificatePEM)
        let authorityKey = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        let key = P256.Signing.PrivateKey()
        let names: [GeneralName] = hostnames.map { host in
            if let address = ipv4Bytes(host) { return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))) }
            return .dnsName(host)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now - 3600, notValidAfter: now + Double(days) * 86_400, issuer: authority.subject,
            subject: try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames(names)
            },
            issuerPrivateKey: .init(authorityKey)
        )
        return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }

    /// The common name of the first certificate in `pem` (a site's name in its cluster certificate).
    ///
    /// - Throws: ``ServerSetupError`` when it does not parse or has no common name.
    public static func commonName(ofPEM pem: String) throws(ServerSetupError) -> String {
        let certificate: Certificate
        do {
            certificate = try Certificate(pemEncoded: pem)
        } catch {
            throw ServerSetupError("the certificate does not parse: \(error)")
        }
        return try commonName(of: certificate)
    }

    /// The common name of a DER certificate (as NIOSSL hands a verified peer's certificate over).
    public static func commonName(ofDER der: [UInt8]) throws(ServerSetupError) -> String {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw ServerSetupError("the peer certificate does not parse: \(error)")
        }
        return try commonName(of: certificate)
    }

    /// Checks that the first certificate of `certificatePEM` was signed by the authority in
    /// `authorityPEM` (its issuer is the authority's subject and the signature verifies with
    /// the authority's key): a site whose certificate another CA signed could never link.
    ///
    /// - Throws: ``ServerSetupError`` saying which does not parse or that the CA did not sign it.
    public static func checkSigned(_ certificatePEM: String, by authorityPEM: String) throws(ServerSetupError) {
        let certificate: Certificate
        let authority: Certificate
        do {
            certificate = try Certificate(pemEncoded: certificatePEM)
        } catch {
            throw ServerSetupError("the certificate does not parse: \(error)")
        }
        do {
            authority = try Certificate(pemEncoded: authorityPEM)
        } catch {
            throw ServerSetupError("the cluster CA certificate does not parse: \(error)")
        }
        guard certificate.issuer == authority.subject, authority.publicKey.isValidSignature(certificate.signature, for: certificate) else {
            throw ServerSetupError(
                "this site's certificate was not signed by the cluster CA given with --cluster-ca, so no peer would accept it; issue it with glossd cert issue --ca-folder <the cluster CA's folder>"
            )
        }
    }

    private static func commonName(of certificate: Certificate) throws(ServerSetupError) -> String {
        for relative in certificate.subject {
            for attribute in relative where attribute.type == .RDNAttributeType.commonName {
                let text = String(describing: attribute.value)
                if !text.isEmpty { return text }
            }
        }
        throw ServerSetupError("the certificate names no common name (CN)")
    }
}

/// Writes `text` to `url`, readable by its owner only when `secret`.
public func writeFile(_ text: String, to url: URL, secret: Bool) throws {
    try Data(text.utf8).write(to: url)
    if secret { try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path) }
}

/// The four bytes of a dotted IPv4 address.
func ipv4Bytes(_ text: String) -> [UInt8]? {
    let parts = text.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4 else { return nil }
    let bytes = parts.compactMap { UInt8($0) }
    return bytes.count == 4 ? bytes : nil
}
