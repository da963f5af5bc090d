import GlossCore
import GlossCoreTesting
import GlossProtocol
import GlossReplication
import Testing

@Suite("Peer messages")
struct PeerMessageTests {
    static func roundTrip(_ message: PeerMessage) throws -> PeerMessage {
        let text = message.line.description
        #expect(!text.contains("\n"))
        return try PeerMessage(try LineParser.parse(text))
    }

    @Test("Every kind of message survives its line")
    func roundTrips() throws {
        var simulation = NetworkSimulator(seed: 3, replicaCount: 3)
        simulation.run(steps: 80)
        let operations = simulation.known.flatMap(\.values)
        let vector = VersionVector([(try ReplicaID("site-a"), 12), (try ReplicaID("site-b"), 0), (try ReplicaID("x.y_z-1"), .max)])
        let document = try Document(
            id: DocumentID("article"), project: ProjectID("news"), title: "A \"title\"\nwith\tcontrol \u{202E} marks",
            text: "\u{FEFF}café\u{301} 👩🏽‍🚀\r\nline two\u{1B}[2J"
        )
        var messages: [PeerMessage] = [
            .hello(PeerHello(site: "tokyo", replica: try ReplicaID("tokyo-1"), incarnation: 7, vector: vector, catalogCursor: 42)),
            .hello(PeerHello(site: "empty", replica: try ReplicaID("e"), incarnation: 0, vector: VersionVector(), catalogCursor: 0)),
            .hello(
                PeerHello(
                    site: "d", replica: try ReplicaID("d-1"), incarnation: 2, vector: vector, catalogCursor: 8, database: "9b2f7c1e-0000-4000-8000-000000000001",
                    catalogDatabase: "9b2f7c1e-0000-4000-8000-000000000002"
                )
            ),
            .project(id: try ProjectID("news"), title: "News, \"quoted\" = yes"),
            .project(id: try ProjectID("p"), title: ""),
            .document(document, sequence: 9),
            .commit(BatchCommit(batch: 3, operations: 500, catalogCursor: 9)),
            .acknowledge(BatchAcknowledgement(batch: 3, vector: vector, held: 2)),
            .ping(1), .pong(.max),
            .goodbye(code: "identity-conflict", message: "two sites claim replica id a; line\nbreak"),
        ]
        messages += operations.map { .operation($0) }
        for message in messages {
            let decoded = try Self.roundTrip(message)
            if case .document(let sent, let sequence) = message, case .document(let received, let receivedSequence) = decoded {
                #expect(received.text.text == sent.text.text && received.title == sent.title && received.key == sent.key)
                #expect(receivedSequence == sequence)
            } else {
                #expect(decoded.line == message.line)
            }
            if case .operation(let sent) = message, case .operation(let received) = decoded { #expect(received == sent) }
            if case .hello(let sent) = message, case .hello(let received) = decoded { #expect(received == sent) }
        }
    }

    @Test("Malformed peer lines are refused with peer-malformed", arguments: [
        "* HELLO version=1 site=a replica=a incarnation=1 vector=a:1,a:2 catalog=0",
        "* HELLO version=1 site=a replica=a incarnation=1 vector=a:x catalog=0",
        "* HELLO version=1 site=a replica=a incarnation=-1 vector= catalog=0",
        "* HELLO version=1 site=a replica=a incarnation=1 vector= catalog=0 extra=1",
        "* HELLO version=1 site=a/b replica=a incarnation=1 vector= catalog=0",
        "* OP !!!",
        "* OP AAAA",
        "* OP",
        "* PING",
        "* PING 1 2",
        "* DOCUMENT project=news id=a sequence=1 sha256=00 title=t text=YQ==",
        "* DOCUMENT project=news id=a sequence=1 sha256=00 title=t text=@@",
        "* ACK batch=1 vector= held=1 held=2",
        "* NOPE",
        "tag HELLO",
    ])
    func malformed(_ text: String) throws {
        #expect { try PeerMessage(try LineParser.parse(text)) } throws: { ($0 as? PeerError)?.code == "peer-malformed" || $0 is ProtocolError }
    }

    @Test("An operation that breaks the core's limits or canonical form is refused")
    func nonCanonicalOperation() throws {
        var simulation = NetworkSimulator(seed: 4, replicaCount: 2)
        simulation.run(steps: 10)
        var bytes = try #require(simulation.known.flatMap(\.values).first).encoded()
        bytes.append(0)
        let line = Line(tag: Line.untagged, word: "OP", arguments: [.positional(base64(bytes))])
        #expect { try PeerMessage(line) } throws: { ($0 as? PeerError)?.code == "peer-malformed" }
    }

    @Test("A document larger than the receiver's limit is refused before it is decoded")
    func documentLimit() throws {
        let document = try Document(id: DocumentID("big"), project: ProjectID("news"), title: "", text: String(repeating: "a", count: 5_000))
        let line = PeerMessage.document(document, sequence: 1).line
        #expect(throws: Never.self) { try PeerMessage(line, maximumDocumentBytes: 5_000) }
        #expect { try PeerMessage(line, maximumDocumentBytes: 4_000) } throws: { ($0 as? PeerError)?.code == "peer-malformed" }
    }

    @Test("The server's BYE on a link (it is shutting down) reads as the peer saying goodbye, not as a malformed message")
    func serverFarewell() throws {
        let line = Reply.bye(ProtocolError(.shuttingDown, "the server is shutting down; reconnect later"))
        guard case .goodbye(let code, let message) = try PeerMessage(try LineParser.parse(line.description)) else {
            Issue.record("not a goodbye")
            return
        }
        #expect(code == "shutting-down" && message == "the server is shutting down; reconnect later")
        #expect(throws: PeerError.self) { try PeerMessage(try LineParser.parse("* BYE shutting-down")) }
        #expect(throws: PeerError.self) { try PeerMessage(try LineParser.parse("* BYE code=x message=y")) }
    }
}

/// Standard base64 of `bytes`, written here so the test does not trust the code under test.
func base64(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    var out = ""
    var index = 0
    while index < bytes.count {
        let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
        let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
        for position in 0..<4 {
            out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : "=")
        }
        index += 3
    }
    return out
}
