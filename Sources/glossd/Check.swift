import ArgumentParser
import Foundation
import GlossExportFiles
import GlossCore
import GlossServer
import GlossStore

/// `glossd check`: rebuilds every annotation from the operation log and compares;
/// with `--against`, also compares each document's digest with a live peer site.
struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rebuild every annotation from the operation log and compare it with the stored state; optionally compare with a peer site.",
        discussion: """
            Exits 0 when everything matches, 1 when anything differs (the differences are listed).

            With --against HOST:PORT it also asks that live peer site for the digest of each \
            document's annotations (over TLS, with this site's certificate) and lists the \
            documents that differ or that only one side holds. Sites that are still \
            exchanging operations differ for a moment; compare when writes are quiet. \
            Exits 69 when the peer cannot be asked (unreachable, another cluster, or this site itself).

            Example:
              glossd check --database-url postgres://gloss@db/gloss \\
                --against paris.example.org:7433 --certificate tokyo.pem \\
                --key tokyo-key.pem --cluster-ca cluster-ca.pem
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "A live peer site, host:port, to compare per-document digests with.")
    var against: String?

    @Option(help: "This site's certificate, to present to the peer (env GLOSS_TLS_CERT).")
    var certificate: String?

    @Option(help: "This site's private key (env GLOSS_TLS_KEY).")
    var key: String?

    @OptionGroup var cluster: ClusterOptions

    func validate() throws {
        guard let against else { return }
        guard PeerAddress.split(against) != nil else { throw ValidationError(PeerAddress.refusal(against)) }
        let environment = ProcessInfo.processInfo.environment
        guard let certificate = certificate ?? environment["GLOSS_TLS_CERT"], let key = key ?? environment["GLOSS_TLS_KEY"],
            cluster.authorityFile != nil
        else {
            throw ValidationError("--against needs this site's --certificate, --key and --cluster-ca (or GLOSS_TLS_CERT, GLOSS_TLS_KEY, GLOSS_CLUSTER_CA)")
        }
        // Unreadable or foreign certificates are refused before the (long) rebuild, not after it.
        _ = try cluster.site(certificateFile: certificate, keyFile: key)
    }

    func run() async throws {
        let migrations = try store.migrations()
        let (report, local): (ConsistencyReport, [String: String])
        do {
            (report, local) = try await store.withStore { store in
                try await store.verifySchema(migrations: migrations, registering: false)
                return (try await store.checkConsistency(), try await store.documentDigests().mapValues(\.description))
            }
        } catch let error as StoreError {
            throw fail(error)
        }
        print(report)
        var consistent = report.isConsistent
        if let against {
            let environment = ProcessInfo.processInfo.environment
            guard let certificate = certificate ?? environment["GLOSS_TLS_CERT"], let key = key ?? environment["GLOSS_TLS_KEY"],
                let settings = try cluster.site(certificateFile: certificate, keyFile: key)
            else {
                throw ValidationError("--against needs this site's --certificate, --key and --cluster-ca (or GLOSS_TLS_CERT, GLOSS_TLS_KEY, GLOSS_CLUSTER_CA)")
            }
            let remote: [String: String]
            do {
                remote = try await PeerDigests.fetch(from: against, settings: settings)
            } catch {
                StandardError.write("glossd: \(error)\n")
                throw ExitCode(69)
            }
            let differences = Self.differences(local: local, remote: remote, peer: against)
            if differences.isEmpty {
                print("\(local.count) document\(local.count == 1 ? "" : "s"): the same annotations here and at \(against)")
            } else {
                consistent = false
                print("\(differences.count) of \(Set(local.keys).union(remote.keys).count) documents differ from \(against):")
                for line in differences { print("  " + line) }
            }
        }
        if !consistent { throw ExitCode(1) }
    }

    /// One line per document whose digests differ or that one side lacks, sorted.
    static func differences(local: [String: String], remote: [String: String], peer: String) -> [String] {
        Set(local.keys).union(remote.keys).sorted().compactMap { key in
            switch (local[key], remote[key]) {
            case (let here?, let there?) where here != there: "\(key): differs (here \(here.prefix(12)), there \(there.prefix(12)))"
            case (_?, nil): "\(key): only here"
            case (nil, _?): "\(key): only at \(peer)"
            default: nil
            }
        }
    }
}
