import GlossProtocol
import NIOCore

/// Reads a live peer's per-document digests (`DIGESTS`), for `glossd check --against`.
public enum PeerDigests {
    /// The peer's digests by `project/document`, in hex.
    ///
    /// - Throws: ``ServerSetupError`` saying what failed: the connection, TLS, or the peer's refusal.
    public static func fetch(from address: String, settings: ReplicationSettings, maximumLineBytes: Int = 1 << 20) async throws -> [String: String] {
        guard let (host, port) = PeerAddress.split(address) else { throw ServerSetupError("\(address) is not host:port") }
        let channel: NIOAsyncChannel<InboundLine, ByteBuffer>
        do {
            channel = try await PeerConnection.open(host: host, port: port, settings: settings, maximumLineBytes: maximumLineBytes)
        } catch {
            throw ServerSetupError("cannot connect to \(address): \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: Request(tag: "d1", command: .digests).line.description + "\n"))
            var digests: [String: String] = [:]
            for try await item in inbound {
                guard case .line(let bytes) = item else { throw ServerSetupError("\(address) sent an overlong line") }
                let line = try LineParser.parse(bytes.readableBytesView, maximumLength: maximumLineBytes)
                if line.word == "DIGEST", let key = line["doc"], let digest = line["digest"] {
                    digests[key] = digest
                } else if line.tag == "d1" {
                    if let error = Reply.error(in: line) { throw ServerSetupError("\(address) refused: \(error)") }
                    return digests
                }
            }
            throw ServerSetupError("\(address) closed the connection before answering")
        }
    }
}
