public import GlossProtocol

/// What went wrong talking to a server: the server's own error code, or one of
/// the client's (`connection-failed`, `tls-failed`, `certificate-mismatch`, `connection-closed`).
public struct ClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable code: the server's `ERR` code or the client's.
    public let code: String
    /// What happened, for a person.
    public let message: String

    /// Creates an error.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    /// The server's error.
    public init(_ error: ProtocolError) {
        self.init(code: error.code.rawValue, message: error.message)
    }

    /// The connection could not be made.
    public static let connectionFailed = "connection-failed"
    /// The TLS handshake failed.
    public static let tlsFailed = "tls-failed"
    /// The server's certificate is not the pinned one.
    public static let certificateMismatch = "certificate-mismatch"
    /// The connection closed before a reply arrived.
    public static let connectionClosed = "connection-closed"
    /// The server did not greet, or did not answer a request, in time; the connection was closed.
    public static let timedOut = "timed-out"

    public var description: String { "\(code): \(message)" }
}
