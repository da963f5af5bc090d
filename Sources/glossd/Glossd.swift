import ArgumentParser

/// `glossd`, the Gloss server executable.
@main
struct Glossd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "glossd",
        abstract: "The Gloss annotation sync server.",
        discussion: """
            glossd keeps annotations in PostgreSQL and merges concurrent edits.
            Connection settings come from flags or GLOSS_* environment variables.

            Examples:
              glossd dev --user ana:analyst          # try everything on this machine
              glossd serve --database-url postgres://gloss@db/gloss \\
                --certificate server.pem --key server-key.pem
              glossd postgres start --folder /tmp/gloss-pg
              glossd migrate --database-url postgres://gloss@127.0.0.1:5433/gloss
              glossd check --database-url postgres://gloss@127.0.0.1:5433/gloss
              glossd cert ca --folder ca             # then cert issue, serve --cluster-ca
            """,
        subcommands: [Serve.self, Dev.self, Migrate.self, Check.self, ExportCommand.self, UserCommand.self, ProjectCommand.self, CertCommand.self, PeerCommand.self, PeersCommand.self, Postgres.self]
    )
}
