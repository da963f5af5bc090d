import ArgumentParser
import Foundation
import GlossCore
import GlossStore

/// `glossd user`: users, their roles and tokens, straight on the database.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Add users, give them roles, issue and revoke tokens.",
        discussion: """
            Roles per project: reader (read, watch), analyst (also add and edit),
            reviewer (also review), admin (everything). Tokens are printed once and
            stored only as SHA-256 hashes; a lost token is revoked and replaced.
            Changes reach open sessions within --access-check seconds (default 5):
            a revoked token's sessions are closed, new roles apply to the next request.

            Examples:
              glossd user add ana --project news --role analyst   # prints a token
              glossd user grant ana --project archive --role reader
              glossd user ungrant ana --project archive           # no role there
              glossd user token ana --label laptop                # another token
              glossd user tokens ana                              # with last use
              glossd user revoke ana --token 12                   # a lost laptop
              glossd user revoke ana                              # every token
              glossd user disable ana                             # until enable
              glossd user list
            """,
        subcommands: [Add.self, Grant.self, Ungrant.self, Token.self, Tokens.self, Revoke.self, Disable.self, Enable.self, List.self]
    )

    struct Ungrant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take away a user's role in a project (their open sessions lose it too).")
        @Argument(help: "The user.") var name: String
        @Option(help: "The project.") var project: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (projectID, name) = (try identifier { () throws(CoreError) in try ProjectID(project) }, name)
            guard try await onStore(store, { store in try await store.removeRole(of: name, in: projectID) }) else {
                throw ValidationError("\(name) has no role in \(projectID)")
            }
            print("user \(name) has no role in \(projectID) any more")
        }
    }

    struct Tokens: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's tokens: number, label, issued, last used, revoked (never the token itself).")
        @Argument(help: "The user.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let name = name
            let formatter = ISO8601DateFormatter()
            for token in try await onStore(store, { store in try await store.tokens(of: name) }) {
                var line = "\(token.id)\t\(Excerpt.of(token.label, limit: 100))\tissued \(formatter.string(from: token.created))"
                line += "\tlast used \(token.lastUsed.map { formatter.string(from: $0) } ?? "never")"
                if let revoked = token.revoked { line += "\trevoked \(formatter.string(from: revoked))" }
                print(line)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a user's every token from working (open sessions close within --access-check seconds).")
        @Argument(help: "The user.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let name = name
            guard try await onStore(store, { store in try await store.setDisabled(true, user: name) }) else { throw ValidationError("no user \(name)") }
            print("user \(name) is disabled; glossd user enable \(name) lets their tokens work again")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let a disabled user's tokens work again (revoked tokens stay revoked).")
        @Argument(help: "The user.") var name: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let name = name
            guard try await onStore(store, { store in try await store.setDisabled(false, user: name) }) else { throw ValidationError("no user \(name)") }
            print("user \(name) is enabled")
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user with a role in a project and print their first token.")
        @Argument(help: "The user's name (their edits are signed with it).") var name: String
        @Option(help: "The project.") var project: String
        @Option(help: "reader, analyst, reviewer or admin.") var role: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (projectID, role, name) = (try identifier { () throws(CoreError) in try ProjectID(project) }, try parseRole(role), name)
            let token = try await onStore(store) { store in
                try await store.addUser(name, role: role, in: projectID, tokenLabel: "glossd user add")
            }
            print("user \(name) is \(role.rawValue) in \(projectID); token (shown only now):")
            print(token)
        }
    }

    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give a user a role in a project (replacing the role they had there).")
        @Argument(help: "The user.") var name: String
        @Option(help: "The project.") var project: String
        @Option(help: "reader, analyst, reviewer or admin.") var role: String
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (projectID, role, name) = (try identifier { () throws(CoreError) in try ProjectID(project) }, try parseRole(role), name)
            try await onStore(store) { store in try await store.grant(role, to: name, in: projectID) }
            print("user \(name) is \(role.rawValue) in \(projectID)")
        }
    }

    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue another token for a user and print it.")
        @Argument(help: "The user.") var name: String
        @Option(help: "A note to tell tokens apart.") var label = ""
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (name, label) = (name, label)
            print(try await onStore(store) { store in try await store.issueToken(for: name, label: label) })
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a user's tokens: every one, or one by its number (glossd user tokens lists them). Open sessions close within --access-check seconds."
        )
        @Argument(help: "The user.") var name: String
        @Option(help: "Only the token with this number.") var token: Int64?
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let name = name
            if let token {
                guard try await onStore(store, { store in try await store.revokeToken(token, of: name) }) else {
                    throw ValidationError("\(name) has no active token \(token) (glossd user tokens \(name) lists them)")
                }
                print("revoked token \(token) of \(name)")
                return
            }
            let count = try await onStore(store) { store in try await store.revokeTokens(of: name) }
            print("revoked \(count) token\(count == 1 ? "" : "s") of \(name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users with their roles and active tokens.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let users = try await onStore(store) { store in try await store.users() }
            if users.isEmpty { print("no users yet: glossd user add NAME --project P --role R") }
            for user in users {
                let roles = user.roles.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
                print("\(Excerpt.of(user.name, limit: Limits.maximumAuthorLength))\troles=\(roles.isEmpty ? "-" : roles)\ttokens=\(user.activeTokens)")
            }
        }
    }
}

/// `glossd project`: projects, straight on the database.
struct ProjectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "project",
        abstract: "Create and list projects.",
        discussion: """
            Examples:
              glossd project add news --title "News analysis"
              glossd project list
            """,
        subcommands: [Add.self, List.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a project.")
        @Argument(help: "The project id: letters, digits, '.', '_' or '-'.") var id: String
        @Option(help: "A title for people.") var title = ""
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let (projectID, title) = (try identifier { () throws(CoreError) in try ProjectID(id) }, title)
            try await onStore(store) { store in try await store.addProject(projectID, title: title) }
            print("project \(projectID) created; give users roles with: glossd user add NAME --project \(projectID) --role analyst")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List projects.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            let projects = try await onStore(store) { store in try await store.projects() }
            if projects.isEmpty { print("no projects yet: glossd project add ID") }
            for project in projects { print("\(project.id)\tdocuments=\(project.documents)\t\(Excerpt.of(project.title, limit: 200))") }
        }
    }
}

/// A role from its name, or a usage error listing the names.
func parseRole(_ text: String) throws -> Role {
    guard let role = Role(rawValue: text) else { throw ValidationError("--role takes reader, analyst, reviewer or admin; got \"\(text)\"") }
    return role
}

/// Runs `body` on the store (after checking the schema is current); store errors end glossd with their exit code.
func onStore<Result: Sendable>(_ options: StoreOptions, _ body: @Sendable @escaping (GlossStore) async throws -> Result) async throws -> Result {
    let migrations = try options.migrations()
    do {
        return try await options.withStore { store in
            try await store.verifySchema(migrations: migrations, registering: false)
            return try await body(store)
        }
    } catch let error as StoreError {
        throw fail(error)
    }
}
