import ArgumentParser
import Foundation
import GlossClient
import GlossProtocol

/// `gloss status`: the server's site and how its links with peer sites are doing.
struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the server's site and each peer site: link state, last contact, operations behind each way, last error.",
        discussion: """
            "to send" counts operations this server holds that the peer lacked when last
            heard from; "to receive" the reverse. Both fall to 0 once the sites agree.
            """
    )
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            try await Session.with(options) { session in
                let response = try await session.send(.status)
                let records = try response.lines(PeerStatusRecord.word).map { try PeerStatusRecord(line: $0) }
                // Configured addresses that never linked a site come without one.
                let (peers, unlinked) = (records.filter { !$0.site.isEmpty }, records.filter { $0.site.isEmpty })
                let (site, replica, replicating) = (response.reply["site"] ?? "", response.reply["replica"] ?? "", response.reply["replicating"] == "yes")
                if options.json {
                    Output.json(["site": site, "replica": replica, "replicating": replicating])
                    for peer in peers {
                        Output.json([
                            "peer": peer.site, "state": peer.state, "address": peer.address, "lastContact": peer.lastContact,
                            "toSend": peer.toSend, "toReceive": peer.toReceive, "lastError": peer.lastError,
                        ])
                    }
                    for dial in unlinked {
                        Output.json(["unlinkedAddress": dial.address, "state": dial.state, "lastAttempt": dial.lastContact, "lastError": dial.lastError])
                    }
                    return
                }
                guard replicating else {
                    Output.say("\(session.profile.server): replica \(Output.safe(replica)); this server does not replicate with other sites")
                    return
                }
                Output.say("\(session.profile.server): site \(Output.safe(site)), replica \(Output.safe(replica))")
                if peers.isEmpty { Output.say("  no peer site has linked yet") }
                let formatter = ISO8601DateFormatter()
                for dial in unlinked {
                    let attempt = formatter.string(from: Date(timeIntervalSince1970: Double(dial.lastContact) / 1000))
                    Output.say("  \(Output.safe(dial.address))  never linked  last attempt \(attempt)\n    last error: \(Output.safe(dial.lastError))")
                }
                for peer in peers {
                    let contact = peer.lastContact == 0 ? "never" : formatter.string(from: Date(timeIntervalSince1970: Double(peer.lastContact) / 1000))
                    var line = "  \(Output.safe(peer.site))  \(peer.state)  last contact \(contact)  to send \(peer.toSend)  to receive \(peer.toReceive)"
                    if !peer.lastError.isEmpty { line += "\n    last error: \(Output.safe(peer.lastError))" }
                    Output.say(line)
                }
            }
        }
    }
}
