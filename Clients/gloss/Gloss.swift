import ArgumentParser

/// `gloss`, the Gloss command-line client (started by main.swift).
struct Gloss: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gloss",
        abstract: "Annotate documents on a Gloss server.",
        discussion: """
            Offsets count Unicode code points, half-open [start, end). Select text by
            offsets (--span 26:35) or by quoting it (--quote "Kishida’s" --occurrence 2).

            Getting started:
              gloss login --server 127.0.0.1:7433 --ca-file ca.pem --token gloss_…
              gloss doc add article.txt --title "Japan and the US"
              gloss add japan-and-the-us --quote "Lloyd Austin" --label PERSON
              gloss doc show japan-and-the-us

            Writes are never lost or doubled: each is written down before it is sent,
            retried with the same idempotency key while the server is away (--retry-for),
            and, if still unanswered, sent by the next command or by gloss sync
            (gloss pending lists what waits).

            Exit status: 0 done; 64 usage or configuration; 65 refused as invalid
            (span, quote, argument); 66 not found; 69 server unreachable or TLS failed;
            74 the output cannot be written; 75 temporary, retry later (a write is kept pending); 76 server certificate
            changed; 77 not allowed (token or role). With --json, errors are JSON on
            standard error too.
            """,
        subcommands: [
            Login.self, WhoAmI.self, Doc.self, Add.self, List.self, Show.self, EditCommand.self, TagCommand.self, Untag.self,
            Remove.self, Restore.self, ReviewCommand.self, Conflicts.self, Resolve.self, Watch.self, Pending.self, Sync.self, Status.self, Export.self, Import.self,
        ]
    )
}
