import Foundation
import GlossCore
import GlossReplication
import Synchronization

/// The links this glossd runs, for waking them on commits and for status displays.
final class PeerRegistry: Sendable {
    /// One running link, as status shows it.
    struct Entry: Sendable {
        let link: PeerLink
        let site: String
        let address: String
        let direction: LinkDirection
        let since: Date
        let peer: LiveLink
    }

    private let links = Mutex<[ObjectIdentifier: Entry]>([:])

    /// Registers a link that passed its greeting, unless a running link conflicts with it
    /// (``LiveLink/conflict(between:and:)``); returns that conflict.
    func add(_ link: PeerLink, peer: LiveLink) -> PeerError? {
        links.withLock { links in
            if let conflict = LiveLink.conflict(between: links.values.map(\.peer), and: peer) { return conflict }
            links[ObjectIdentifier(link)] = Entry(link: link, site: link.remoteSite, address: link.address, direction: link.direction, since: Date(), peer: peer)
            return nil
        }
    }

    /// Forgets a link that ended.
    func remove(_ link: PeerLink) {
        links.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(link)) }
    }

    /// Ends the link this site dialed to `address`, if one runs, saying `reason` to the peer.
    func stop(dialedAddress address: String, reason: PeerError) {
        let running = links.withLock { links in links.values.filter { $0.direction == .dialed && $0.address == address } }
        for entry in running { entry.link.stop(reason) }
    }

    /// Wakes every link's sender: something was committed (by another process, say).
    func wakeAll() {
        for entry in links.withLock({ Array($0.values) }) { entry.link.nudge() }
    }

    /// Hands every link what this process just committed, in commit order, and wakes it.
    func deliver(_ operations: [AnnotationOperation]) {
        for entry in links.withLock({ Array($0.values) }) { entry.link.push(operations) }
    }

    /// The running links, by site.
    var entries: [Entry] { links.withLock { Array($0.values) }.sorted { ($0.site, $0.address) < ($1.site, $1.address) } }
}
