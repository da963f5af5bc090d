import GlossCore

/// One peer site's link as `STATUS` reports it, in a `* PEER` line.
public struct PeerStatusRecord: Hashable, Sendable {
    /// The untagged word of a peer status line.
    public static let word = "PEER"

    /// The peer's site name.
    public var site: String
    /// `up` (a link runs now), `down` or `new`.
    public var state: String
    /// The address of the last link.
    public var address: String
    /// When the peer was last heard from, in milliseconds since the Unix epoch (0 for never).
    public var lastContact: UInt64
    /// Operations this site holds that the peer lacked when last heard from.
    public var toSend: UInt64
    /// Operations the peer held that this site lacked.
    public var toReceive: UInt64
    /// The last error of a link with the peer (empty for none).
    public var lastError: String

    /// Creates a record.
    public init(site: String, state: String, address: String, lastContact: UInt64, toSend: UInt64, toReceive: UInt64, lastError: String) {
        self.site = site
        self.state = state
        self.address = address
        self.lastContact = lastContact
        self.toSend = toSend
        self.toReceive = toReceive
        self.lastError = lastError
    }

    /// `* PEER site=… state=… address=… contact=… to-send=… to-receive=… error=…`.
    public var line: Line {
        Line(
            tag: Line.untagged, word: Self.word,
            arguments: [
                .named(key: "site", value: site), .named(key: "state", value: state), .named(key: "address", value: address),
                .named(key: "contact", value: String(lastContact)), .named(key: "to-send", value: String(toSend)),
                .named(key: "to-receive", value: String(toReceive)), .named(key: "error", value: lastError),
            ]
        )
    }

    /// Reads a `* PEER` line.
    ///
    /// - Throws: ``ProtocolError/Code/malformed`` when a field is missing or not a number.
    public init(line: Line) throws(ProtocolError) {
        guard line.word == Self.word, let site = line["site"], let state = line["state"], let address = line["address"],
            let contact = line["contact"].flatMap(UInt64.init), let toSend = line["to-send"].flatMap(UInt64.init),
            let toReceive = line["to-receive"].flatMap(UInt64.init), let error = line["error"]
        else { throw ProtocolError(.malformed, "not a PEER status line") }
        self.init(site: site, state: state, address: address, lastContact: contact, toSend: toSend, toReceive: toReceive, lastError: error)
    }
}
