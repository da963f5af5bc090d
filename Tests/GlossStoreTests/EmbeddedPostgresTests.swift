import Foundation
import GlossEmbeddedPostgres
import Testing

@Suite("Embedded PostgreSQL", .timeLimit(.minutes(2)))
struct EmbeddedPostgresTests {
    @Test("A private cluster is created, reused while it runs, stopped cleanly and restarted on the same port")
    func lifecycle() throws {
        let folder = "/tmp/gloss-embedded-\(UInt32.random(in: 0...UInt32.max))"
        let cluster = EmbeddedPostgres(folder: folder, durable: false)
        defer { try? cluster.destroy() }
        #expect(try cluster.status() == nil)
        let first = try cluster.start()
        #expect(first.host == "127.0.0.1")
        #expect(try cluster.status() == first)
        #expect(try cluster.start() == first, "a running cluster is reused")
        try cluster.createDatabase("gloss")
        try cluster.createDatabase("gloss")
        #expect(FileManager.default.fileExists(atPath: first.socketFolder + "/.s.PGSQL.\(first.port)"))
        try cluster.stop()
        #expect(try cluster.status() == nil)
        try cluster.stop()
        let second = try cluster.start()
        #expect(second.port == first.port)
        try cluster.destroy()
        #expect(!FileManager.default.fileExists(atPath: folder))
    }
}
