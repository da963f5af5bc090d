import Foundation
import GlossTestSupport
import Synchronization
import Testing

/// A person speaking the protocol by hand through `openssl s_client`, as docs/PROTOCOL.md shows.
@Suite("By hand with openssl s_client", .timeLimit(.minutes(2)))
struct OpenSSLSessionTests {
    @Test("Greet, authenticate, add an annotation by quote, and read it back")
    func scriptedSession() async throws {
        try await ServerProcess.with { server in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl", "s_client", "-quiet", "-verify_return_error", "-CAfile", server.caFile, "-connect", "127.0.0.1:\(server.port)"]
            let (input, output) = (Pipe(), Pipe())
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let transcript = LogBuffer(collecting: output)
            func waitFor(_ text: String) async throws -> String {
                let deadline = ContinuousClock.now + .seconds(15)
                while ContinuousClock.now < deadline {
                    let seen = transcript.text.withLock { $0 }
                    if let line = seen.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
                    try await Task.sleep(for: .milliseconds(20))
                }
                throw ServerTestError("no \"\(text)\" from the server; transcript:\n\(transcript.text.withLock { $0 })")
            }
            func send(_ line: String) { input.fileHandleForWriting.write(Data((line + "\r\n").utf8)) }

            #expect(try await waitFor("* GLOSS").contains("version=1"))
            send("h1 HELLO version=1")
            _ = try await waitFor("h1 OK")
            send("a1 AUTH token=\(server.tokens["ana"]!)")
            #expect(try await waitFor("a1 ").contains("a1 OK user=ana"))
            send(#"a2 ADD doc=article quote="Kishida’s" label=PERSON note="typed by hand""#)
            let added = try await waitFor("a2 ")
            #expect(added.contains("a2 OK") && added.contains("start=54 end=63"), "\(added)")
            let id = try #require(added.split(separator: " ").first { $0.hasPrefix("id=") }).dropFirst(3)
            send("a3 GET id=\(id)")
            _ = try await waitFor("a3 OK")
            let record = try await waitFor("* ANNOTATION id=\(id)")
            #expect(record.contains("label=PERSON") && record.contains(#"note="typed by hand""#) && record.contains("quote=Kishida’s"))
            send("q QUIT")
            _ = try await waitFor("q OK")
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }
}
