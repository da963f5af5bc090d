public import Foundation
public import GlossCore
import PostgresNIO

/// One token of a user, as `glossd user tokens` lists it (never the token itself).
public struct TokenSummary: Sendable, Hashable {
    /// The token's number (the part between `gloss_` and the secret).
    public let id: Int64
    /// The note given when it was issued.
    public let label: String
    /// When it was issued and last used.
    public let created: Date
    public let lastUsed: Date?
    /// When it was revoked, if it was.
    public let revoked: Date?
}

extension GlossStore {
    /// Disables or enables a user: a disabled user's tokens stop authenticating, and open
    /// sessions close within the access-check interval. Returns whether the user exists.
    @discardableResult
    public func setDisabled(_ disabled: Bool, user: String) async throws(StoreError) -> Bool {
        !(try await rows(
            "UPDATE users SET disabled_at = CASE WHEN \(disabled) THEN coalesce(disabled_at, now()) ELSE NULL END WHERE name = \(user) RETURNING 1",
            as: Int32.self, doing: "changing a user"
        )).isEmpty
    }

    /// Takes away a user's role in a project; returns whether they had one.
    @discardableResult
    public func removeRole(of user: String, in project: ProjectID) async throws(StoreError) -> Bool {
        !(try await rows(
            "DELETE FROM roles r USING users u WHERE r.user_id = u.id AND u.name = \(user) AND r.project_id = \(project.rawValue) RETURNING 1",
            as: Int32.self, doing: "removing a role"
        )).isEmpty
    }

    /// A user's tokens, newest first.
    ///
    /// - Throws: ``StoreError/Code/notFound`` for an unknown user.
    public func tokens(of user: String) async throws(StoreError) -> [TokenSummary] {
        guard !(try await rows("SELECT 1 FROM users WHERE name = \(user)", as: Int32.self, doing: "finding a user")).isEmpty else {
            throw StoreError(.notFound, "no user '\(user)'")
        }
        return try await rows(
            """
            SELECT t.id, t.label, t.created_at, t.last_used_at, t.revoked_at FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE u.name = \(user) ORDER BY t.id DESC
            """,
            as: (Int64, String, Date, Date?, Date?).self, doing: "listing tokens"
        ).map { TokenSummary(id: $0.0, label: $0.1, created: $0.2, lastUsed: $0.3, revoked: $0.4) }
    }

    /// Revokes one token of a user, by its number; returns whether it was active.
    @discardableResult
    public func revokeToken(_ id: Int64, of user: String) async throws(StoreError) -> Bool {
        !(try await rows(
            """
            UPDATE tokens t SET revoked_at = now() FROM users u
            WHERE t.user_id = u.id AND u.name = \(user) AND t.id = \(id) AND t.revoked_at IS NULL RETURNING 1
            """,
            as: Int32.self, doing: "revoking a token"
        )).isEmpty
    }
}
