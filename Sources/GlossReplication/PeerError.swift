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

    public var description: String { "\(code): \(message)" }
}
