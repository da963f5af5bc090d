/// Why a peer message was refused or a link closed, with a stable code.
public struct PeerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code, as sent in `GOODBYE` lines and logged.
    public let code: String
    /// What happened, for the operator.
    public let message: String

    /// Creates an error.
    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A line that is not a peer message of this version.
    public static func malformed(_ message: String) -> PeerError { PeerError("peer-malformed", message) }

    /// This site is shutting down (sent as `GOODBYE`, and recorded as the reason its links ended).
    public static let shuttingDown = PeerError("shutting-down", "this site is shutting down")

    /// The address was removed from this site's peer list (`glossd peer remove`), so its link was closed.
    public static let removed = PeerError("peer-removed", "the address was removed from this site's peer list")

    /// Whether redialing cannot help until an operator changes a configuration: the
    /// peer is this site itself, speaks another protocol version, or greets with an
    /// identity that clashes with this site's (docs/REPLICATION.md, "Identity").
    public var isLasting: Bool {
        ["same-site", "peer-version", "peer-identity", "identity-conflict", "peer-address"].contains(code)
    }

    public var description: String { "\(code): \(message)" }
}
