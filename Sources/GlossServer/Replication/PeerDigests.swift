import GlossProtocol
import NIOCore
import NIOSSL

/// Reads a live peer's per-document digests (`DIGESTS`), for `glossd check --against`.
public enum PeerDigests {
    /// The peer's digests by `project/document`, in hex.
    ///
    /// - Throws: ``ServerSetupError`` saying what failed: the connection, TLS (in words,
    ///   see ``ConnectionFailure``), the peer being this site itself, or the peer's refusal.
    public static func fetch(from address: String, settings: ReplicationSettings, maximumLineBytes: Int = 1 << 20) async throws -> [String: String] {
        guard let (host, port) = PeerAddress.split(address) else { throw ServerSetupError("\(address) is not host:port") }
        let channel: NIOAsyncChannel<InboundLine, ByteBuffer>
        do {
            channel = try await PeerConnection.open(host: host, port: port, settings: settings, maximumLineBytes: maximumLineBytes)
        } catch {
            throw ServerSetupError("cannot connect: \(ConnectionFailure.describe(error, peer: address))")
        }
        let deadline = HandshakeDeadline(channel: channel.channel, limit: settings.handshakeTimeout)
        defer { deadline.cancel() }
        do {
            return try await channel.executeThenClose { inbound, outbound in
                var digests: [String: String] = [:]
                var greeted = false
                for try await item in inbound {
                    guard case .line(let bytes) = item else { throw ServerSetupError("\(address) sent an overlong line") }
                    if !greeted {
                        // The greeting arrives once the TLS handshake is done; only then is the peer's certificate known.
                        greeted = true
                        deadline.cancel()
                        try await refuseSelf(channel.channel, address: address, site: settings.site)
                        try await outbound.write(ByteBuffer(string: Request(tag: "d1", command: .digests).line.description + "\n"))
                        continue
                    }
                    let line = try LineParser.parse(bytes.readableBytesView, maximumLength: maximumLineBytes)
                    if line.word == "DIGEST", let key = line["doc"], let digest = line["digest"] {
                        digests[key] = digest
                    } else if line.tag == "d1" {
                        if let error = Reply.error(in: line) { throw ServerSetupError("\(address) refused: \(error)") }
                        return digests
                    }
                }
                if deadline.expired { throw late(address, settings) }
                throw ServerSetupError("\(address) closed the connection before answering")
            }
        } catch let error as ServerSetupError {
            throw error
        } catch {
            if deadline.expired { throw late(address, settings) }
            throw ServerSetupError(ConnectionFailure.describe(error, peer: address))
        }
    }

    private static func late(_ address: String, _ settings: ReplicationSettings) -> ServerSetupError {
        ServerSetupError("\(address) did not complete TLS and greet within \(settings.handshakeTimeout.components.seconds) s (is it a glossd port, and is that glossd running?)")
    }

    /// Throws when the peer's certificate names this site: comparing a site with itself finds nothing.
    private static func refuseSelf(_ channel: any Channel, address: String, site: String) async throws {
        guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
            throw ServerSetupError("\(address) presented no certificate")
        }
        let peerSite = try CertificateAuthority.commonName(ofDER: try certificate.toDERBytes())
        guard peerSite != site else {
            throw ServerSetupError("same-site: \(address) is site \(site), this site itself; compare with another site's address")
        }
    }
}
