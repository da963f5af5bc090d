import GlossCore
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
        var forgotten: Set<String>?
        while !Task.isCancelled {
            var addresses = Set(settings.peers)
            do throws(StoreError) {
                addresses.formUnion(try await store.peerAddresses())
            } catch {
                logger.warning("cannot read the stored peer list; using the configured one", metadata: ["error": "\(error)"])
                addresses.formUnion(running.keys)
            }
            // Dials of addresses no longer configured are forgotten when the list changes (and at start).
            if addresses != forgotten {
                do throws(StoreError) {
                    try await store.forgetDials(except: Array(addresses))
                    forgotten = addresses
                } catch {
                    logger.debug("cannot forget old dials", metadata: ["error": "\(error)"])
                }
            }
            for address in addresses where running[address] == nil {
                running[address] = Task { await self.keepLinked(address) }
            }
            for (address, task) in running where !addresses.contains(address) {
                logger.notice("peer removed from the list; closing its link", metadata: ["address": "\(address)"])
                registry.stop(dialedAddress: address, reason: .removed)
                task.cancel()
                running[address] = nil
            }
            do {
                try await Task.sleep(for: settings.peerListInterval)
            } catch {
                break
            }
        }
        // Shutting down: every link says GOODBYE and records how it ended before this returns.
        for task in running.values { task.cancel() }
        for task in running.values { await task.value }
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
            // Shutting down, or the address was removed: nothing to redial.
            if Task.isCancelled { return }
            await recordDial(address, ended)
            if ContinuousClock.now - started > .seconds(30) { failures = 0 }
            failures += 1
            let delay: Duration
            if ended.isLasting {
                delay = settings.lastingRefusalRetry
                logger.error(
                    "peer link refused for a reason redialing cannot fix; fix the configuration named in the reason",
                    metadata: ["address": "\(address)", "reason": "\(ended)", "retry-in-s": "\(delay.components.seconds)"]
                )
            } else {
                delay = Self.backoff(failures: failures, minimum: settings.minimumBackoff, maximum: settings.maximumBackoff)
                logger.warning(
                    "peer link down; redialing", metadata: ["address": "\(address)", "reason": "\(ended)", "in-ms": "\(Int(delay / .milliseconds(1)))"]
                )
            }
            do {
                try await Task.sleep(for: delay)
            } catch {
                return
            }
        }
    }

    /// Records how the dial ended, for `glossd peers`; a failure to record is only logged.
    private func recordDial(_ address: String, _ ended: PeerError) async {
        do throws(StoreError) {
            try await store.recordDial(address: address, error: ended.description)
        } catch {
            logger.debug("cannot record a dial", metadata: ["address": "\(address)", "error": "\(error)"])
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
            return PeerError("peer-unreachable", "cannot connect: \(ConnectionFailure.describe(error, peer: address))")
        }
        let outbox = Outbox(maximumQueuedEvents: .max, maximumQueuedBytes: Int.max / 2)
        let result: PeerError
        do {
            result = try await channel.executeThenClose { inbound, outbound in
                let writer = Task { await outbox.run { try await outbound.write($0) } }
                let ended = await self.speak(over: inbound, outbox: outbox, channel: channel.channel, address: address)
                // Let the last lines (GOODBYE) go out, for a second at most.
                outbox.finish()
                let deadline = Task {
                    try? await Task.sleep(for: .seconds(1))
                    writer.cancel()
                }
                await writer.value
                deadline.cancel()
                return ended
            }
        } catch {
            result = PeerError("peer-closed", "the connection failed: \(ConnectionFailure.describe(error, peer: address))")
        }
        return result
    }

    /// Asks the server for `PEER`, checks who it is, and runs the link.
    private func speak(
        over inbound: NIOAsyncChannelInboundStream<InboundLine>, outbox: Outbox, channel: any Channel, address: String
    ) async -> PeerError {
        var lines = inbound.makeAsyncIterator()
        // A peer that accepts the connection but never completes TLS or answers PEER
        // (not a glossd port, or a stopped process) is given up on, and redialed.
        let deadline = HandshakeDeadline(channel: channel, limit: settings.handshakeTimeout)
        defer { deadline.cancel() }
        let late = PeerError(
            "peer-unreachable", "\(address) did not complete TLS and answer PEER within \(settings.handshakeTimeout.components.seconds) s (is it a glossd port, and is that glossd running?)"
        )
        // The greeting arrives once the TLS handshake is done; only then is the server's certificate known.
        do {
            guard case .line? = try await lines.next() else { return deadline.expired ? late : PeerError("peer-closed", "\(address) closed before greeting") }
        } catch {
            if Task.isCancelled { return .shuttingDown }
            if deadline.expired { return late }
            return PeerError("peer-unreachable", ConnectionFailure.describe(error, peer: address))
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
                    return deadline.expired ? late : PeerError("peer-closed", "\(address) closed before answering PEER")
                }
                let line = try LineParser.parse(bytes.readableBytesView, maximumLength: limits.maximumLineBytes)
                guard line.tag == "p1" else { continue }
                if let error = Reply.error(in: line) {
                    return PeerError(error.code.rawValue, "\(address) refused the link: \(error.message)")
                }
                break
            }
        } catch {
            if Task.isCancelled { return .shuttingDown }
            if deadline.expired { return late }
            return PeerError("peer-closed", "before the link started: \(ConnectionFailure.describe(error, peer: address))")
        }
        deadline.cancel()
        let link = PeerLink(
            remoteSite: remoteSite, address: address, direction: .dialed, store: store, settings: settings, maximumLineBytes: limits.maximumLineBytes,
            maximumDocumentBytes: limits.maximumDocumentBytes, outbox: outbox, closeConnection: { channel.close(promise: nil) }, logger: logger
        )
        return await link.run(lines: &lines, registry: registry, incarnation: incarnation)
    }

}

/// Peer addresses as operators write them: `host:port`, the host a DNS name or
/// IPv4 address (dot-separated labels of 1 to 63 letters, digits, `-` and `_`, not
/// starting or ending with `-`; at most 253 characters) or an
/// IPv6 address in brackets (`[::1]:7433`), the port 1-65535 in plain digits.
public enum PeerAddress {
    /// The host and port of `address`; nil for anything else (control characters,
    /// spaces, commas, an IPv6 address without brackets, a port with a sign or a leading zero).
    public static func split(_ address: String) -> (host: String, port: Int)? {
        guard address.utf8.count <= 270, let colon = address.lastIndex(of: ":") else { return nil }
        let portText = address[address.index(after: colon)...]
        guard !portText.isEmpty, portText.utf8.count <= 5, portText.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            !portText.hasPrefix("0"), let port = Int(portText), (1...65_535).contains(port)
        else { return nil }
        let host = address[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") {
            let inner = host.dropFirst().dropLast()
            guard inner.contains(":"), inner.utf8.count <= 45,
                inner.utf8.allSatisfy({ isHexDigit($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return nil }
            return (String(inner).lowercased(), port)
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...253).contains(host.utf8.count),
            labels.allSatisfy({ (1...63).contains($0.utf8.count) && $0.first != "-" && $0.last != "-" }),
            host.utf8.allSatisfy({ isHexDigit($0) || ($0 | 0x20 >= UInt8(ascii: "a") && $0 | 0x20 <= UInt8(ascii: "z")) || $0 == UInt8(ascii: ".")
                || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return nil }
        return (String(host).lowercased(), port)
    }

    /// `address` written one way (the host in lowercase, IPv6 in brackets), so one peer is stored
    /// once however it was typed; nil when it is not an address (see ``split(_:)``).
    public static func canonical(_ address: String) -> String? {
        guard let (host, port) = split(address) else { return nil }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte | 0x20 >= UInt8(ascii: "a") && byte | 0x20 <= UInt8(ascii: "f"))
    }
}

extension PeerAddress {
    /// Why `address` is refused, with it shown safely (control characters escaped, shortened).
    /// `option` names where the address came from (`--peer`, say), for the hint that it takes one address.
    public static func refusal(_ address: String, option: String? = nil) -> String {
        "peer \(Excerpt.quoted(address, limit: 80)) is not host:port: a DNS name or IPv4 address (dot-separated labels of letters, digits, '-', '_'), or an IPv6 address in brackets ([::1]:7433), then a port 1-65535"
            + (option.map { "; one address per \($0)" } ?? "")
    }
}
