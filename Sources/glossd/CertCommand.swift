import ArgumentParser
import Foundation
import GlossCore
import GlossServer

/// `glossd cert`: the cluster certificate authority and the sites' certificates.
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Make the cluster certificate authority and issue each site's certificate.",
        discussion: """
            Sites of one cluster replicate only with sites whose certificate the
            cluster CA signed. A site's certificate names the site (its common name)
            and the host names clients and peers reach it by; the site serves with
            it (analysts trust cluster-ca.pem) and presents it when it links to a peer.
            Keep cluster-ca-key.pem off the servers.

            Examples:
              glossd cert ca --folder /etc/gloss/ca
              glossd cert issue --site tokyo --hostname tokyo.example.org --ca-folder /etc/gloss/ca --out /etc/gloss
              glossd serve --certificate /etc/gloss/tokyo.pem --key /etc/gloss/tokyo-key.pem --cluster-ca /etc/gloss/ca/cluster-ca.pem ...
            """,
        subcommands: [Authority.self, Issue.self]
    )

    struct Authority: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ca", abstract: "Make a cluster CA: writes cluster-ca.pem and cluster-ca-key.pem (owner-only) into a folder."
        )
        @Option(help: "Folder to write into (created if missing; existing CA files are never overwritten).") var folder: String
        @Option(help: "Days the CA is valid.") var days = 3_650

        func run() throws {
            guard (1...36_500).contains(days) else { throw ValidationError("--days must be from 1 to 36500") }
            let folderURL = URL(fileURLWithPath: folder)
            let certificate = folderURL.appendingPathComponent("cluster-ca.pem")
            let key = folderURL.appendingPathComponent("cluster-ca-key.pem")
            for file in [certificate, key] where FileManager.default.fileExists(atPath: file.path) {
                throw ValidationError("\(file.path) exists; a new CA would orphan every site certificate it issued. Remove it first if that is what you want")
            }
            let authority = try CertificateAuthority.make(name: "Gloss cluster CA", organization: "Gloss cluster", days: days)
            try FileManager.default.createDirectory(at: folderURL, withIntermediateDirectories: true)
            try writeFile(authority.certificatePEM, to: certificate, secret: false)
            try writeFile(authority.privateKeyPEM, to: key, secret: true)
            print("wrote \(certificate.path) (give it to every site and analyst) and \(key.path) (keep it secret, off the servers)")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a site's certificate, signed by the cluster CA: writes SITE.pem and SITE-key.pem (owner-only)."
        )
        @Option(help: "The site's name: letters, digits, '.', '_', '-', up to 64; unique in the cluster.") var site: String
        @Option(help: "The folder holding cluster-ca.pem and cluster-ca-key.pem.") var caFolder: String
        @Option(help: "A host name or IPv4 address the site is reached by (repeat for several; default localhost and 127.0.0.1).")
        var hostname: [String] = []
        @Option(help: "Folder to write into (default: the CA folder).") var out: String?
        @Option(help: "Days the certificate is valid.") var days = 825

        func run() throws {
            guard (try? ReplicaID(site)) != nil else {
                throw ValidationError("--site \(site) is not a site name: letters, digits, '.', '_' and '-', starting with a letter or digit, up to 64")
            }
            guard (1...36_500).contains(days) else { throw ValidationError("--days must be from 1 to 36500") }
            let caURL = URL(fileURLWithPath: caFolder)
            let authority: CertificateAuthority
            do {
                authority = try CertificateAuthority(
                    certificatePEM: try String(contentsOf: caURL.appendingPathComponent("cluster-ca.pem"), encoding: .utf8),
                    privateKeyPEM: try String(contentsOf: caURL.appendingPathComponent("cluster-ca-key.pem"), encoding: .utf8)
                )
            } catch let error as ServerSetupError {
                throw ValidationError("\(caFolder): \(error.description)")
            } catch {
                throw ValidationError("cannot read cluster-ca.pem and cluster-ca-key.pem in \(caFolder) (make them with `glossd cert ca`): \(error.localizedDescription)")
            }
            let hosts = hostname.isEmpty ? ["localhost", "127.0.0.1"] : hostname
            let issued = try authority.issue(commonName: site, organization: "Gloss cluster", hostnames: hosts, days: days)
            let outURL = URL(fileURLWithPath: out ?? caFolder)
            try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
            let certificate = outURL.appendingPathComponent("\(site).pem")
            let key = outURL.appendingPathComponent("\(site)-key.pem")
            try writeFile(issued.certificatePEM, to: certificate, secret: false)
            try writeFile(issued.privateKeyPEM, to: key, secret: true)
            print("wrote \(certificate.path) and \(key.path) for site \(site), naming \(hosts.joined(separator: ", "))")
        }
    }
}
