import Foundation
import GlossClient
import GlossProtocol
import GlossServer
import GlossTestSupport
import Testing

@Suite("The client checks the server's name", .timeLimit(.minutes(2)))
struct HostCheckTests {
    @Test("A server reached by IP address must name that address: a certificate the same CA issued for another host is refused")
    func ipAddressMustMatch() async throws {
        try await withTestDatabase { database in
            // The CA signs a certificate that names only wrong.example; the server presents it on 127.0.0.1.
            let authority = try CertificateAuthority.make(name: "test CA", organization: "Gloss tests", days: 1)
            let wrong = try authority.issue(commonName: "wrong.example", organization: "Gloss tests", hostnames: ["wrong.example"], days: 1)
            let server = try await ServerProcess.start(database) { folder in
                try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
                try writeFile(authority.certificatePEM, to: folder.appendingPathComponent("ca.pem"), secret: false)
                try writeFile(wrong.certificatePEM, to: folder.appendingPathComponent("server.pem"), secret: false)
                try writeFile(wrong.privateKeyPEM, to: folder.appendingPathComponent("server-key.pem"), secret: true)
            }
            await #expect { try await GlossConnection.connect(host: "127.0.0.1", port: server.port, trust: .certificateAuthority(path: server.caFile)) } throws: {
                ($0 as? ClientError)?.code == ClientError.tlsFailed
            }
            _ = await server.stop()
        }
    }
}
