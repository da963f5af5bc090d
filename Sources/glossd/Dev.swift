import ArgumentParser
import Foundation
import GlossCore
import GlossEmbeddedPostgres
import GlossServer
import GlossStore
import Logging

/// `glossd dev`: everything needed to try Gloss on one machine, in one folder.
struct Dev: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a development server: private PostgreSQL, dev certificates, a project, users and tokens.",
        discussion: """
            Starts (or reuses) a PostgreSQL cluster in FOLDER/postgres, migrates it,
            makes a development CA and server certificate in FOLDER/tls (kept across
            runs), creates the project and an admin user (plus any --user), issues
            fresh tokens and prints the `gloss login` line for each, then serves on
            loopback until Ctrl-C and stops PostgreSQL again.

            With --site NAME it replicates as site NAME: its certificate names the site
            and is issued by the cluster CA of --ca-folder (made by `glossd cert ca`), and
            it links to every --peer. Two dev servers with one CA folder make a cluster.

            Examples:
              glossd dev --folder /tmp/gloss-dev --user ana:analyst --user ben:reviewer
              glossd cert ca --folder /tmp/gloss-ca
              glossd dev --folder /tmp/site-a --site a --ca-folder /tmp/gloss-ca \\
                --port 7433
              glossd dev --folder /tmp/site-b --site b --ca-folder /tmp/gloss-ca \\
                --port 7434 --peer 127.0.0.1:7433
            """
    )

    @Option(help: "Folder for the cluster and certificates (under /tmp, so PostgreSQL's account can reach it).")
    var folder = "/tmp/gloss-dev"

    @Option(help: "The project to create.")
    var project = "demo"

    @Option(help: "Extra users as NAME:ROLE (reader, analyst, reviewer, admin); repeatable.")
    var user: [String] = []

    @Option(help: "This server's replica id (default: dev, or SITE-dev with --site).")
    var replicaID: String?

    @Flag(help: "Leave PostgreSQL running on exit.")
    var keepPostgres = false

    @Option(help: "The folder of numbered SQL migrations (default: the Schema folder shipped with glossd).")
    var schemaDir: String?

    @OptionGroup var server: ServerOptions

    @Option(help: "Replicate as this site (its certificate names it); needs --ca-folder.")
    var site: String?

    @Option(help: "With --site: the cluster CA folder (cluster-ca.pem, cluster-ca-key.pem from glossd cert ca) that issues this site's certificate.")
    var caFolder: String?

    @Option(help: "With --site: a peer site to link to, as host:port; repeatable.")
    var peer: [String] = []

    func run() async throws {
        let users = try parsedUsers()
        let projectID = try identifier { () throws(CoreError) in try ProjectID(project) }
        let root = URL(fileURLWithPath: folder)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let cluster = EmbeddedPostgres(folder: root.appendingPathComponent("postgres").path, durable: true)
        let endpoint = try cluster.start()
        try cluster.createDatabase("gloss")
        defer { if !keepPostgres { try? cluster.stop() } }

        let tls = root.appendingPathComponent("tls")
        if let site {
            try issueSiteCertificate(site, into: tls)
        } else if !FileManager.default.fileExists(atPath: tls.appendingPathComponent("server-key.pem").path) {
            try DevelopmentCertificates.make().write(to: tls)
        }
        let storeOptions = try StoreOptions.parse(
            ["--database-url", endpoint.url(database: "gloss"), "--replica-id", replicaID ?? site.map { "\($0)-dev" } ?? "dev"]
                + (schemaDir.map { ["--schema-dir", $0] } ?? [])
        )
        let migrations = try storeOptions.migrations()
        let options = storeOptions
        let logins = try await options.withStore { store in
            try await store.migrate(migrations: migrations)
            if !(try await store.projects()).contains(where: { $0.id == projectID }) {
                try await store.addProject(projectID, title: "Development project")
            }
            var tokens: [(String, String)] = []
            for (name, role) in [("admin", Role.admin)] + users {
                if !(try await store.users()).contains(where: { $0.name == name }) { try await store.addUser(name) }
                try await store.grant(role, to: name, in: projectID)
                tokens.append((name, try await store.issueToken(for: name, label: "glossd dev")))
            }
            return tokens
        }
        let (port, limits) = (try server.listenPort(), try server.limits())
        var configuration = ServerConfiguration(
            host: "127.0.0.1", port: port,
            tls: try ServerConfiguration.tlsConfiguration(
                certificateFile: tls.appendingPathComponent("server.pem").path, keyFile: tls.appendingPathComponent("server-key.pem").path
            ),
            limits: limits
        )
        if site != nil {
            let replication = try ReplicationOptions.parse(["--cluster-ca", tls.appendingPathComponent("ca.pem").path] + peer.flatMap { ["--peer", $0] })
            configuration.replication = try replication.settings(
                certificateFile: tls.appendingPathComponent("server.pem").path, keyFile: tls.appendingPathComponent("server-key.pem").path, limits: limits
            )
        } else if !peer.isEmpty {
            throw ValidationError("--peer needs --site (and --ca-folder)")
        }
        let caFile = tls.appendingPathComponent("ca.pem").path
        let database = endpoint.url(database: "gloss")
        try await runServer(configuration, store: options, server: server, migrate: false) { port in
            var text = "glossd dev: PostgreSQL at \(database); project '\(projectID)'; listening on 127.0.0.1:\(port)\n"
            text += "Log in (each token is shown only now):\n"
            for (name, token) in logins {
                text += "  gloss login --profile \(name) --server 127.0.0.1:\(port) --ca-file \(caFile) --token \(token)\n"
            }
            say(text + "Stop with Ctrl-C.")
        }
    }

    /// Writes the cluster CA (`ca.pem`) and a certificate for site `site` issued by it into `folder`.
    private func issueSiteCertificate(_ site: String, into folder: URL) throws {
        guard (try? ReplicaID(site)) != nil else { throw ValidationError("--site \(site) is not a site name: letters, digits, '.', '_', '-'") }
        guard let caFolder else { throw ValidationError("--site needs --ca-folder, the cluster CA made by glossd cert ca") }
        let authority: CertificateAuthority
        do {
            let caURL = URL(fileURLWithPath: caFolder)
            authority = try CertificateAuthority(
                certificatePEM: try String(contentsOf: caURL.appendingPathComponent("cluster-ca.pem"), encoding: .utf8),
                privateKeyPEM: try String(contentsOf: caURL.appendingPathComponent("cluster-ca-key.pem"), encoding: .utf8)
            )
        } catch {
            throw ValidationError("cannot use the cluster CA in \(caFolder) (make one with glossd cert ca --folder \(caFolder)): \(error)")
        }
        let issued = try authority.issue(commonName: site, organization: "Gloss development cluster", hostnames: ["localhost", "127.0.0.1"], days: 30)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try writeFile(authority.certificatePEM, to: folder.appendingPathComponent("ca.pem"), secret: false)
        try writeFile(issued.certificatePEM, to: folder.appendingPathComponent("server.pem"), secret: false)
        try writeFile(issued.privateKeyPEM, to: folder.appendingPathComponent("server-key.pem"), secret: true)
    }

    private func parsedUsers() throws -> [(String, Role)] {
        try user.map { entry in
            let parts = entry.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let role = Role(rawValue: parts[1]) else {
                throw ValidationError("--user takes NAME:ROLE with ROLE one of reader, analyst, reviewer, admin; got \"\(entry)\"")
            }
            return (parts[0], role)
        }
    }
}

/// Runs an identifier initializer, turning its error into a usage error.
func identifier<ID>(_ make: () throws(CoreError) -> ID) throws -> ID {
    do {
        return try make()
    } catch {
        throw ValidationError(error.message)
    }
}
