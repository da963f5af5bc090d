import Crypto
public import Foundation
public import GlossCore
import PostgresNIO

/// An authenticated user and their role in each project.
public struct Principal: Hashable, Sendable {
    /// The user's name (the author of their edits).
    public let name: String
    /// The user's role per project; no entry means no access.
    public let roles: [ProjectID: Role]
    /// The token the session authenticated with (its row id, not its secret), so
    /// that revoking it reaches the session.
    public let tokenID: Int64

    /// Creates a principal.
    public init(name: String, roles: [ProjectID: Role], tokenID: Int64) {
        self.name = name
        self.roles = roles
        self.tokenID = tokenID
    }
}

/// A user as `glossd user list` shows them.
public struct UserSummary: Hashable, Sendable {
    /// The user's name.
    public let name: String
    /// Their roles, by project.
    public let roles: [ProjectID: Role]
    /// Tokens not revoked.
    public let activeTokens: Int
    /// When the user was created.
    public let created: Date
}

/// A project as `glossd project list` shows it.
public struct ProjectSummary: Hashable, Sendable {
    /// The project id.
    public let id: ProjectID
    /// Its title.
    public let title: String
    /// How many documents it holds.
    public let documents: Int
}

extension GlossStore {
    /// The prefix of every bearer token.
    public static let tokenPrefix = "gloss_"

    /// Creates a project.
    ///
    /// - Throws: ``StoreError/Code/alreadyExists`` when the id is taken.
    public func addProject(_ id: ProjectID, title: String) async throws(StoreError) {
        defer { noteCatalogChange() }
        let inserted = try await rows(
            "INSERT INTO projects (id, title) VALUES (\(id.rawValue), \(title)) ON CONFLICT DO NOTHING RETURNING 1", as: Int32.self,
            doing: "creating a project"
        )
        guard !inserted.isEmpty else { throw StoreError(.alreadyExists, "project '\(id)' exists already") }
    }

    /// Every project, by id.
    public func projects() async throws(StoreError) -> [ProjectSummary] {
        try await rows(
            "SELECT p.id, p.title, (SELECT count(*) FROM documents d WHERE d.project_id = p.id)::bigint FROM projects p ORDER BY p.id",
            as: (String, String, Int64).self, doing: "listing projects"
        ).compactMap { row in (try? ProjectID(row.0)).map { ProjectSummary(id: $0, title: row.1, documents: Int(row.2)) } }
    }

    /// Creates a user.
    ///
    /// - Throws: ``StoreError/Code/alreadyExists`` when the name is taken, ``StoreError/Code/invalid`` for a bad name.
    public func addUser(_ name: String) async throws(StoreError) {
        try Self.validateUserName(name)
        let inserted = try await rows(
            "INSERT INTO users (name) VALUES (\(name)) ON CONFLICT DO NOTHING RETURNING 1", as: Int32.self, doing: "creating a user"
        )
        guard !inserted.isEmpty else { throw StoreError(.alreadyExists, "user '\(name)' exists already") }
    }

    /// Creates `name` with `role` in `project` and issues their first token, in one
    /// statement: all of it happens, or nothing (no user left without a role or a token).
    ///
    /// - Throws: ``StoreError/Code/invalid`` for a bad name, ``StoreError/Code/notFound``
    ///   for an unknown project, ``StoreError/Code/alreadyExists`` when the user exists.
    public func addUser(_ name: String, role: Role, in project: ProjectID, tokenLabel: String) async throws(StoreError) -> String {
        try Self.validateUserName(name)
        let (secretText, hash) = Self.newTokenSecret()
        let found = try await rows(
            """
            WITH p AS (SELECT id FROM projects WHERE id = \(project.rawValue)),
            u AS (INSERT INTO users (name) SELECT \(name) WHERE EXISTS (SELECT 1 FROM p) ON CONFLICT DO NOTHING RETURNING id),
            r AS (INSERT INTO roles (user_id, project_id, role) SELECT u.id, p.id, \(role.rawValue) FROM u, p),
            t AS (INSERT INTO tokens (user_id, token_hash, label) SELECT id, \(hash), \(tokenLabel) FROM u RETURNING id)
            SELECT (SELECT count(*) FROM p)::bigint, coalesce((SELECT id FROM t), 0)::bigint
            """,
            as: (Int64, Int64).self, doing: "creating a user"
        )
        guard let (projects, token) = found.first, projects == 1 else { throw StoreError(.notFound, "no project '\(project)'") }
        guard token != 0 else { throw StoreError(.alreadyExists, "user '\(name)' exists already") }
        return "\(Self.tokenPrefix)\(token)_\(secretText)"
    }

    /// Gives `user` the role `role` in `project` (replacing any role they had there).
    ///
    /// - Throws: ``StoreError/Code/notFound`` for an unknown user or project.
    public func grant(_ role: Role, to user: String, in project: ProjectID) async throws(StoreError) {
        let done = try await rows(
            """
            INSERT INTO roles (user_id, project_id, role)
            SELECT u.id, p.id, \(role.rawValue) FROM users u, projects p WHERE u.name = \(user) AND p.id = \(project.rawValue)
            ON CONFLICT (user_id, project_id) DO UPDATE SET role = EXCLUDED.role
            RETURNING 1
            """,
            as: Int32.self, doing: "granting a role"
        )
        guard !done.isEmpty else { throw StoreError(.notFound, "no user '\(user)' or no project '\(project)'") }
    }

    /// Issues a new bearer token for `user`. The token is returned only here;
    /// the database keeps its SHA-256.
    ///
    /// - Throws: ``StoreError/Code/notFound`` for an unknown user.
    public func issueToken(for user: String, label: String = "") async throws(StoreError) -> String {
        let (secretText, hash) = Self.newTokenSecret()
        let issued = try await rows(
            "INSERT INTO tokens (user_id, token_hash, label) SELECT id, \(hash), \(label) FROM users WHERE name = \(user) RETURNING id",
            as: Int64.self, doing: "issuing a token"
        )
        guard let id = issued.first else { throw StoreError(.notFound, "no user '\(user)'") }
        return "\(Self.tokenPrefix)\(id)_\(secretText)"
    }

    /// Revokes every token of `user`; returns how many were active.
    ///
    /// - Throws: ``StoreError/Code/notFound`` for an unknown user.
    @discardableResult
    public func revokeTokens(of user: String) async throws(StoreError) -> Int {
        let known = try await rows("SELECT id FROM users WHERE name = \(user)", as: Int64.self, doing: "finding a user")
        guard let id = known.first else { throw StoreError(.notFound, "no user '\(user)'") }
        return try await rows(
            "WITH gone AS (UPDATE tokens SET revoked_at = now() WHERE user_id = \(id) AND revoked_at IS NULL RETURNING 1) SELECT count(*)::bigint FROM gone",
            as: Int64.self, doing: "revoking tokens"
        ).first.map(Int.init) ?? 0
    }

    /// Every user with their roles and active tokens, by name.
    public func users() async throws(StoreError) -> [UserSummary] {
        let users = try await rows(
            """
            SELECT u.name, u.created_at,
                   (SELECT count(*) FROM tokens t WHERE t.user_id = u.id AND t.revoked_at IS NULL)::bigint,
                   coalesce((SELECT string_agg(r.project_id || '=' || r.role, ',' ORDER BY r.project_id) FROM roles r WHERE r.user_id = u.id), '')
            FROM users u ORDER BY u.name
            """,
            as: (String, Date, Int64, String).self, doing: "listing users"
        )
        return users.map { UserSummary(name: $0.0, roles: Self.roles(from: $0.3), activeTokens: Int($0.2), created: $0.1) }
    }

    /// The user a bearer token belongs to, with their roles; `nil` for a token
    /// that is malformed, unknown, revoked or whose user is disabled.
    ///
    /// The token's secret is compared by its SHA-256 in constant time.
    public func authenticate(token: String) async throws(StoreError) -> Principal? {
        let parts = token.split(separator: "_", omittingEmptySubsequences: false)
        guard token.hasPrefix(Self.tokenPrefix), parts.count == 3, let id = Int64(parts[1]), parts[2].utf8.count == 64 else { return nil }
        let presented = Array(SHA256.hash(data: Array(parts[2].utf8)))
        let found = try await rows(
            """
            SELECT t.token_hash, u.name,
                   coalesce((SELECT string_agg(r.project_id || '=' || r.role, ',') FROM roles r WHERE r.user_id = u.id), '')
            FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE t.id = \(id) AND t.revoked_at IS NULL AND u.disabled_at IS NULL
            """,
            as: (ByteBuffer, String, String).self, doing: "checking a token"
        )
        guard let (stored, name, roles) = found.first, Self.constantTimeEqual(Array(buffer: stored), presented) else { return nil }
        try await execute("UPDATE tokens SET last_used_at = now() WHERE id = \(id)", doing: "recording token use")
        return Principal(name: name, roles: Self.roles(from: roles), tokenID: id)
    }

    /// The current principal of each token among `tokenIDs` that still authenticates
    /// (not revoked, user not disabled); tokens missing from the answer no longer do.
    /// One query, however many tokens.
    public func principals(forTokens tokenIDs: [Int64]) async throws(StoreError) -> [Int64: Principal] {
        guard !tokenIDs.isEmpty else { return [:] }
        let found = try await rows(
            """
            SELECT t.id, u.name,
                   coalesce((SELECT string_agg(r.project_id || '=' || r.role, ',') FROM roles r WHERE r.user_id = u.id), '')
            FROM tokens t JOIN users u ON u.id = t.user_id
            WHERE t.id = ANY(\(tokenIDs)) AND t.revoked_at IS NULL AND u.disabled_at IS NULL
            """,
            as: (Int64, String, String).self, doing: "rechecking tokens"
        )
        var principals: [Int64: Principal] = [:]
        for (id, name, roles) in found { principals[id] = Principal(name: name, roles: Self.roles(from: roles), tokenID: id) }
        return principals
    }

    /// A number that changes whenever access may have been taken away: a token
    /// revoked, a user disabled or renamed, a role granted or removed (Schema/0004's
    /// `access_changes`). Cheap to poll.
    public func accessVersion() async throws(StoreError) -> Int64 {
        try await rows("SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM access_changes", as: Int64.self, doing: "reading the access version")
            .first ?? 0
    }

    /// Whether two byte arrays are equal, taking the same time wherever they differ.
    static func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in lhs.indices { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }

    private static func roles(from text: String) -> [ProjectID: Role] {
        var roles: [ProjectID: Role] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=")
            if parts.count == 2, let project = try? ProjectID(String(parts[0])), let role = Role(rawValue: String(parts[1])) {
                roles[project] = role
            }
        }
        return roles
    }
}

extension GlossStore {
    /// Refuses a user name that is empty, too long, or holds spaces or control characters.
    static func validateUserName(_ name: String) throws(StoreError) {
        let length = name.unicodeScalars.count
        guard (1...Limits.maximumAuthorLength).contains(length), !name.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) else {
            throw StoreError(.invalid, "user name \(Excerpt.quoted(name)) is not valid: use 1 to \(Limits.maximumAuthorLength) characters without spaces or control characters")
        }
    }

    /// A new token's secret (32 random bytes, in hex) and the SHA-256 the database keeps of it.
    static func newTokenSecret() -> (text: String, hash: ByteBuffer) {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let text = Hex.encode(secret)
        return (text, ByteBuffer(bytes: Array(SHA256.hash(data: Array(text.utf8)))))
    }
}
