import GlossProtocol
import GlossReplication
import GlossStore
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Keeps a link open to every configured peer address: dials with this site's
/// certificate, asks for `PEER`, runs the link, and after any failure redials
/// with exponential back-off and jitter. Addresses come from the settings and
/// from the database (`glossd peer add`), reread now and then.
final class PeerDialer: Sendable {
    private let settings: ReplicationSettings
    private let store: GlossStore
    private let registry: PeerRegistry
    private let limits: ServerLimits
    private let incarnation: UInt64
    private let logger: Logger

    init(settings: ReplicationSettings, store: GlossStore, registry: PeerRegistry, limits: ServerLimits, incarnation: UInt64, logger: Logger) {
        self.settings = settings
        self.store = store
        self.registry = registry
        self.limits = limits
        self.incarnation = incarnation
        self.logger = logger
    }

    /// Dials every configured peer until cancelled.
    func run() async {
        var running: [String: Task<Void, Never>] = [:]
        defer { for task in running.values { task.cancel() } }
        while !Task.isCancelled {
            var addresses = Set(settings.peers)
            do throws(StoreError) {
                addresses.formUnion(try await store.peerAddresses())
            } catch {
                logger.warning("cannot read the stored peer list; using the configured one", metadata: ["error": "\(error)"])
                addresses.formUnion(running.keys)
            }
            for address in addresses where running[address] == nil {
                running[address] = Task { await self.keepLinked(address) }
            }
            for (address, task) in running where !addresses.contains(address) {
                task.cancel()
                running[address] = nil
            }
            do {
                try await Task.sleep(for: settings.peerListInterval)
            } catch {
                return
            }
        }
    }

    /// Dials `address` again and again, waiting longer after each failure (reset after a link that lasted).
    /// Of several glossd processes sharing the database, only the one holding the
    /// link's lock dials; the others wait and take over if it dies.
    private func keepLinked(_ address: String) async {
        var failures = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let outcome: PeerError?
            do throws(StoreError) {
                outcome = try await store.whileHolding(lock: "gloss-peer-link:\(address)") { await self.dial(address) }
            } catch {
                outcome = PeerError("unavailable", "cannot take the link's lock: \(error.message)")
            }
            guard let ended = outcome else {
                // Another process runs this link.
                do { try await Task.sleep(for: settings.lockRetryInterval) } catch { return }
                continue
            }
            if ContinuousClock.now - started > .seconds(30) { failures = 0 }
            failures += 1
            let delay = Self.backoff(failures: failures, minimum: settings.minimumBackoff, maximum: settings.maximumBackoff)
            logger.warning("peer link down; redialing", metadata: ["address": "\(address)", "reason": "\(ended)", "in-ms": "\(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000)"])
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }

    /// The wait after `failures` failures in a row: doubling from `minimum` up to `maximum`, times a random factor from 0.5 to 1.5.
    static func backoff(failures: Int, minimum: Duration, maximum: Duration) -> Duration {
        let doubled = minimum * (1 << min(failures - 1, 20))
        let capped = doubled > maximum ? maximum : doubled
        return capped * Double.random(in: 0.5...1.5)
    }

    /// One connection: TLS with this site's certificate, `PEER`, then the link. Returns why it ended.
    private func dial(_ address: String) async -> PeerError {
        guard let (host, port) = PeerAddress.split(address) else {
            return PeerError("peer-address", "\(address) is not host:port")
        }
        let channel: NIOAsyncChannel<InboundLine, ByteBuffer>
        do {
            channel = try await PeerConnection.open(host: host, port: port, settings: settings, maximumLineBytes: limits.maximumLineBytes)
        } catch {
            return PeerError("peer-unreachable", "cannot connect to \(address): \(error)")
        }
        let outbox = Outbox(maximumQueuedEvents: .max, maximumQueuedBytes: Int.max / 2)
        let result: PeerError
        do {
            result = try await channel.executeThenClose { inbound, outbound in
                let writer = Task { await outbox.run { try await outbound.write($0) } }
                defer {
                    outbox.finish()
                    writer.cancel()
                }
                return await self.speak(over: inbound, outbox: outbox, channel: channel.channel, address: address)
            }
        } catch {
            result = PeerError("peer-closed", "the connection to \(address) failed: \(error)")
        }
        return result
    }

    /// Asks the server for `PEER`, checks who it is, and runs the link.
    private func speak(
        over inbound: NIOAsyncChannelInboundStream<InboundLine>, outbox: Outbox, channel: any Channel, address: String
    ) async -> PeerError {
        var lines = inbound.makeAsyncIterator()
        // The greeting arrives once the TLS handshake is done; only then is the server's certificate known.
        do {
            guard case .line? = try await lines.next() else { return PeerError("peer-closed", "\(address) closed before greeting") }
        } catch {
            return PeerError("peer-unreachable", "TLS with \(address) failed: \(error)")
        }
        let remoteSite: String
        do {
            guard let certificate = try await channel.nioSSL_peerCertificate().get() else {
                return PeerError("peer-identity", "\(address) presented no certificate")
            }
            remoteSite = try CertificateAuthority.commonName(ofDER: try certificate.toDERBytes())
        } catch {
            return PeerError("peer-identity", "the certificate of \(address) is unreadable: \(error)")
        }
        outbox.send([Request(tag: "p1", command: .peer(version: PeerHello.currentVersion)).line])
        do {
            while true {
                guard case .line(let bytes)? = try await lines.next() else {
                    return PeerError("peer-closed", "\(address) closed before answering PEER")
                }
                let line = try LineParser.parse(bytes.readableBytesView, maximumLength: limits.maximumLineBytes)
                guard line.tag == "p1" else { continue }
                if let error = Reply.error(in: line) {
                    return PeerError(error.code.rawValue, "\(address) refused the link: \(error.message)")
                }
                break
            }
        } catch {
            return PeerError("peer-closed", "\(address) failed before the link started: \(error)")
        }
        let link = PeerLink(
            remoteSite: remoteSite, address: address, direction: .dialed, store: store, settings: settings, maximumLineBytes: limits.maximumLineBytes,
            maximumDocumentBytes: limits.maximumDocumentBytes, outbox: outbox, closeConnection: { channel.close(promise: nil) }, logger: logger
        )
        return await link.run(lines: &lines, registry: registry, incarnation: incarnation)
    }

}

/// Peer addresses as operators write them.
public enum PeerAddress {
    /// The host and port of `host:port` or `[v6]:port`; nil for anything else.
    public static func split(_ address: String) -> (host: String, port: Int)? {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65_535).contains(port) else {
            return nil
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "/" }) else { return nil }
        return (host, port)
    }
}
