import ArgumentParser
import Foundation
import GlossExportFiles
import GlossCore
import GlossReplication
import GlossServer
import GlossStore

/// `glossd peer`: the peer addresses this site dials, stored in its database.
struct PeerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peer",
        abstract: "Add, remove and list the peer sites this site links to.",
        discussion: """
            Addresses are host:port of a peer's glossd. A running glossd rereads the list
            every 5 s; --peer flags and GLOSS_PEERS add to it. A link carries both
            directions, so one of two sites dialing the other is enough.

            Examples:
              glossd peer add paris.example.org:7433 --database-url postgres://gloss@db/gloss
              glossd peer list --database-url postgres://gloss@db/gloss
              glossd peer remove paris.example.org:7433 --database-url postgres://gloss@db/gloss
            """,
        subcommands: [Add.self, Remove.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a peer address; running servers dial it within 5 s.")
        @Argument(help: "host:port (an IPv6 host in brackets).") var address: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            guard let address = PeerAddress.canonical(address) else { throw ValidationError(PeerAddress.refusal(address)) }
            let added = try await onStore(store) { store in try await store.addPeerAddress(address) }
            print(added ? "peer \(address) added" : "peer \(address) was already there")
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Forget a peer address; running servers stop dialing it within 5 s.")
        @Argument(help: "host:port, as added.") var address: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let address = PeerAddress.canonical(address) ?? address
            let removed = try await onStore(store) { store in try await store.removePeerAddress(address) }
            guard removed else {
                StandardError.write("glossd: no stored peer \(Excerpt.quoted(address)); see glossd peer list (addresses given by --peer or GLOSS_PEERS are not stored: drop them there)\n")
                throw ExitCode(1)
            }
            print("peer \(Excerpt.of(address, limit: 300)) removed")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the stored peer addresses, one per line.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            for address in try await onStore(store, { store in try await store.peerAddresses() }) { print(Excerpt.of(address, limit: 300)) }
        }
    }
}

/// `glossd peers`: each peer site's link, as this site last recorded it.
struct PeersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "peers",
        abstract: "Show each peer site: link state, last contact, operations behind in each direction, last error.",
        discussion: """
            Read from the database, so it works whether glossd runs or not. "to send" counts \
            operations this site holds that the peer lacked when last heard from; "to receive" \
            the reverse. Last contact is when the peer was last heard. A running link refreshes \
            these every 2 s; a link whose peer was not heard for 10 s shows as down.
            """
    )
    @OptionGroup var store: StoreOptions

    func run() async throws {
        let (peers, vector, unlinked) = try await onStore(store) { store in
            (try await store.peerSites(), try await store.versionVector(), try await store.unlinkedDials())
        }
        let formatter = ISO8601DateFormatter()
        for dial in unlinked {
            print("\(dial.address)  never linked  last attempt \(formatter.string(from: dial.lastAttempt))\n    last error: \(dial.lastError)")
        }
        guard !peers.isEmpty else {
            if unlinked.isEmpty { print("no peer site has linked with this site yet (add one with glossd serve --peer or glossd peer add)") }
            return
        }
        for peer in peers {
            let lag = Lag(local: vector, peer: peer.vector)
            let contact = peer.lastContact.map { formatter.string(from: $0) } ?? "never"
            var line = "\(peer.site)  \(peer.currentState())  \(peer.address)  last contact \(contact)  to send \(lag.peerLacks)  to receive \(lag.localLacks)"
            line += "  received \(peer.operationsIn)  sent \(peer.operationsOut)"
            if !peer.lastError.isEmpty { line += "\n    last error: \(peer.lastError)" }
            print(line)
        }
    }
}
