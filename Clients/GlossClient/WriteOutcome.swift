/// What a failed write means for the client that sent it, by the error's code.
public enum WriteOutcome: Hashable, Sendable {
    /// The outcome is unknown, or the server was briefly unable: send it again soon,
    /// with the same key (the server applies it once).
    case retry
    /// Not answered, and retrying now cannot help (the login no longer works, the
    /// server's certificate changed): keep it for later, once that is fixed.
    case keep
    /// The server answered the request with a refusal: it was not applied and never will be.
    case refused

    /// The meaning of an error with `code` (a server's `ERR`/`BYE` code or the client's own).
    public static func of(code: String) -> WriteOutcome {
        switch code {
        case ClientError.connectionFailed, ClientError.connectionClosed, ClientError.tlsFailed, ClientError.timedOut, "unavailable", "shutting-down",
            "too-many-requests", "too-many-connections", "idle-timeout", "auth-timeout", "auth-throttled":
            .retry
        case ClientError.certificateMismatch, "auth-failed", "auth-required", "access-revoked":
            .keep
        default:
            .refused
        }
    }
}
