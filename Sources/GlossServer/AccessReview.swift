import GlossCore
import GlossProtocol
import GlossStore

/// What an open session does when access may have changed: its token revoked,
/// its user disabled, or its roles changed (glossd rechecks every session when
/// the database says access changed; see `GlossServer`).
enum AccessDecision: Hashable, Sendable {
    /// Nothing changed for this session.
    case keep
    /// The roles (or the name) changed; later requests use the new principal.
    case update(Principal)
    /// The session may no longer go on: it is told why and closed.
    case close(ProtocolError)
}

/// Decides, without I/O, what a session must do given the principal it holds,
/// the principal its token has now (`nil`: the token no longer authenticates),
/// and the projects it follows with subscriptions.
enum AccessReview {
    static func decide(current: Principal, latest: Principal?, subscribedProjects: Set<ProjectID>) -> AccessDecision {
        guard let latest else {
            return .close(
                ProtocolError(.accessRevoked, "your token was revoked or your user disabled; ask an admin for a new token and log in again")
            )
        }
        if latest == current { return .keep }
        let lost = subscribedProjects.filter { latest.roles[$0] == nil }.sorted()
        guard lost.isEmpty else {
            return .close(
                ProtocolError(
                    .accessRevoked,
                    "you no longer have a role in \(lost.map { "'\($0)'" }.joined(separator: ", ")), which this session follows; log in again"
                )
            )
        }
        return .update(latest)
    }
}
