import Foundation
import GlossCore
import GlossProtocol
import GlossReplication
import GlossStore

extension Dispatcher {
    /// `STATUS`: one `* PEER` line per peer site this site has linked with, one with an
    /// empty `site=` and `state=never-linked` per configured address that never linked
    /// (its last attempt as `contact=`, its error), then `OK site=… replica=… replicating=yes|no`.
    /// Any authenticated user may ask.
    func status(_ tag: String) async throws(ProtocolError) -> [Line] {
        let replication = context.replication
        let live = Set(replication?.registry.entries.map(\.site) ?? [])
        var lines: [Line] = []
        do throws(StoreError) {
            let vector = try await context.store.versionVector()
            for peer in try await context.store.peerSites() {
                let lag = Lag(local: vector, peer: peer.vector)
                let contact = peer.lastContact.map { UInt64(max(0, $0.timeIntervalSince1970 * 1000)) } ?? 0
                // Up when this process runs the link, or another process of this database recorded it lately.
                let state = live.contains(peer.site) ? "up" : peer.currentState()
                let record = PeerStatusRecord(
                    site: peer.site, state: state, address: peer.address, lastContact: contact, toSend: lag.peerLacks, toReceive: lag.localLacks,
                    lastError: peer.lastError
                )
                lines.append(record.line)
            }
            for dial in try await context.store.unlinkedDials() {
                let attempt = UInt64(max(0, dial.lastAttempt.timeIntervalSince1970 * 1000))
                let record = PeerStatusRecord(
                    site: "", state: "never-linked", address: dial.address, lastContact: attempt, toSend: 0, toReceive: 0, lastError: dial.lastError
                )
                lines.append(record.line)
            }
        } catch {
            throw ProtocolError(error)
        }
        lines.append(
            Reply.ok(
                tag,
                [
                    .named(key: "site", value: replication?.settings.site ?? ""), .named(key: "replica", value: context.store.replica.rawValue),
                    .named(key: "replicating", value: replication == nil ? "no" : "yes"),
                ]
            )
        )
        return lines
    }
}
