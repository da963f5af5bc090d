import Foundation
import GlossCore
import GlossProtocol
import GlossReplication
@testable import GlossServer
import GlossTestSupport
import NIOCore
import NIOSSL
import Testing

/// A peer that sends what a site must refuse: the link closes with a logged
/// GOODBYE, nothing of the bad batch is applied, and other links carry on.
@Suite("Replication: bad peer input", .serialized, .timeLimit(.minutes(5)))
struct PeerInputTests {
    /// Settings for a fake site `name` of `cluster`, from certificate files written into a scratch folder.
    static func settings(for name: String, of cluster: SiteCluster) throws -> ReplicationSettings {
        let folder = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("gloss-fake-peer-\(UUID().uuidString)")
        try cluster.certificates(for: name)(folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        return ReplicationSettings(
            site: name, clusterAuthority: try NIOSSLCertificate.fromPEMFile(folder.appendingPathComponent("ca.pem").path),
            certificateChain: try NIOSSLCertificate.fromPEMFile(folder.appendingPathComponent("server.pem").path),
            privateKey: try NIOSSLPrivateKey(file: folder.appendingPathComponent("server-key.pem").path, format: .pem), peers: []
        )
    }

    /// Opens a link to `site` as the fake peer, greets, sends `lines`, and returns the code of the GOODBYE it gets back.
    static func send(_ lines: [String], to site: ServerProcess, as settings: ReplicationSettings) async throws -> String? {
        let channel = try await PeerConnection.open(host: "127.0.0.1", port: site.port, settings: settings, maximumLineBytes: 1 << 24)
        return try await channel.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            func nextLine() async throws -> Line? {
                while let item = try await iterator.next() {
                    if case .line(let bytes) = item { return try LineParser.parse(bytes.readableBytesView, maximumLength: 1 << 24) }
                }
                return nil
            }
            _ = try await nextLine()
            try await outbound.write(ByteBuffer(string: "p1 PEER version=1\n"))
            while let line = try await nextLine(), line.tag != "p1" {}
            let hello = PeerHello(site: settings.site, replica: try ReplicaID("\(settings.site)-1"), incarnation: 1, vector: VersionVector(), catalogCursor: 0)
            try await outbound.write(ByteBuffer(string: PeerMessage.hello(hello).line.description + "\n"))
            var text = ""
            for line in lines { text += line + "\n" }
            try await outbound.write(ByteBuffer(string: text))
            while let line = try await nextLine() {
                if line.word == "GOODBYE" { return line["code"] }
            }
            return nil
        }
    }

    /// `count` creates made by replica `replica` on the sample document, as OP lines.
    static func operations(_ count: Int, by replica: String) throws -> [String] {
        var made = Replica(id: try ReplicaID(replica))
        let span = try sampleDocument.text.span(quoting: "Japan")
        return try (0..<count).map { index in
            let seed = AnnotationSeed(project: try ProjectID("news"), document: try DocumentID("article"), span: span, label: "L\(index)")
            let operation = try made.perform(.create(seed), on: AnnotationID.random(), by: "fake", wallClockMilliseconds: 1_700_000_000_000)
            return PeerMessage.operation(operation).line.description
        }
    }

    @Test("A batch whose count lies, an oversize batch and a junk line each close the link with their code; nothing of them is applied; another link carries on")
    func badBatches() async throws {
        let cluster = try SiteCluster()
        let fake = try Self.settings(for: "x", of: cluster)
        try await ReplicationTests.withDatabases(2) { databases in
            let a = try await cluster.start("a", on: databases[0])
            let b = try await cluster.start("b", on: databases[1], peers: [a])
            try await ReplicationTests.stopping([a, b]) {
                let lying = try Self.operations(3, by: "x-1") + [PeerMessage.commit(BatchCommit(batch: 1, operations: 2, catalogCursor: 0)).line.description]
                #expect(try await Self.send(lying, to: a, as: fake) == "peer-malformed")
                let oversize = try Self.operations(10_001, by: "x-1")
                #expect(try await Self.send(oversize, to: a, as: fake) == "peer-batch-too-large")
                #expect(try await Self.send(["* OP !!!"], to: a, as: fake) == "peer-malformed")
                let tampered = try Self.operations(1, by: "x-1")[0].replacingOccurrences(of: "* OP A", with: "* OP B")
                #expect(try await Self.send([tampered, "* COMMIT batch=1 operations=1 catalog=0"], to: a, as: fake) == "peer-malformed")
                #expect(try await databases[0].count("SELECT count(*) FROM operations WHERE origin = 'x-1'") == 0, "nothing of a refused batch is applied")

                let fromB = try await ReplicationTests.add(b, as: "ana", quote: "Washington", label: "PLACE")
                try await ReplicationTests.waitUntilPresent(fromB, on: a)
                #expect(a.log.contains("closing the link"), "the refusals are logged")
            }
        }
    }
}
