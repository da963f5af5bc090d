import Foundation
public import GlossCore
public import GlossProtocol

extension PeerMessage {
    /// The line that carries the message (untagged, with the message kind as its word).
    public var line: Line {
        switch self {
        case .hello(let hello):
            Self.line(
                "HELLO",
                [
                    ("version", String(hello.version)), ("site", hello.site), ("replica", hello.replica.rawValue),
                    ("incarnation", String(hello.incarnation)), ("vector", hello.vector.compactText), ("catalog", String(hello.catalogCursor)),
                    ("database", hello.database), ("catalogof", hello.catalogDatabase),
                ]
            )
        case .project(let id, let title):
            Self.line("PROJECT", [("id", id.rawValue), ("title", title)])
        case .document(let document, let sequence):
            Self.line(
                "DOCUMENT",
                [
                    ("project", document.project.rawValue), ("id", document.id.rawValue), ("sequence", String(sequence)),
                    ("sha256", document.text.sha256), ("title", document.title),
                    ("text", Data(document.text.text.utf8).base64EncodedString()),
                ]
            )
        case .operation(let operation):
            Line(tag: Line.untagged, word: "OP", arguments: [.positional(Data(operation.encoded()).base64EncodedString())])
        case .commit(let commit):
            Self.line("COMMIT", [("batch", String(commit.batch)), ("operations", String(commit.operations)), ("catalog", String(commit.catalogCursor))])
        case .acknowledge(let acknowledgement):
            Self.line(
                "ACK",
                [("batch", String(acknowledgement.batch)), ("vector", acknowledgement.vector.compactText), ("held", String(acknowledgement.held))]
            )
        case .ping(let number):
            Line(tag: Line.untagged, word: "PING", arguments: [.positional(String(number))])
        case .pong(let number):
            Line(tag: Line.untagged, word: "PONG", arguments: [.positional(String(number))])
        case .goodbye(let code, let message):
            Self.line("GOODBYE", [("code", code), ("message", message)])
        }
    }

    private static func line(_ word: String, _ pairs: [(String, String)]) -> Line {
        Line(tag: Line.untagged, word: word, arguments: pairs.map { .named(key: $0.0, value: $0.1) })
    }

    /// Reads a message from its line.
    ///
    /// Every field is checked as strictly as the client protocol checks its own:
    /// identifiers, numbers, the canonical operation bytes (and their limits), the
    /// document's text against its SHA-256 and the document limits.
    /// - Parameter maximumDocumentBytes: the largest document text accepted, in UTF-8 bytes.
    /// - Throws: ``PeerError`` with code `peer-malformed` for anything else.
    public init(_ line: Line, maximumDocumentBytes: Int = Document.defaultMaximumBytes) throws(PeerError) {
        guard line.isUntagged else { throw PeerError.malformed("peer lines are untagged (start with *)") }
        var fields = try PeerFields(line)
        switch line.word {
        case "HELLO":
            let version = try fields.number("version")
            let hello = PeerHello(
                version: Int(clamping: version), site: try fields.site("site"), replica: try fields.identifier("replica", ReplicaID.init),
                incarnation: try fields.number("incarnation"), vector: try VersionVector(peerText: try fields.text("vector")),
                catalogCursor: try fields.number("catalog"), database: try fields.optionalToken("database"),
                catalogDatabase: try fields.optionalToken("catalogof")
            )
            self = .hello(hello)
        case "PROJECT":
            let title = try fields.text("title")
            guard title.unicodeScalars.count <= Document.maximumTitleLength, !title.unicodeScalars.contains("\u{0}") else {
                throw PeerError.malformed("project title too long or holding NUL")
            }
            self = .project(id: try fields.identifier("id", ProjectID.init), title: title)
        case "DOCUMENT":
            let project = try fields.identifier("project", ProjectID.init)
            let id = try fields.identifier("id", DocumentID.init)
            let sequence = try fields.number("sequence")
            let sha256 = try fields.text("sha256")
            let title = try fields.text("title")
            let encoded = try fields.text("text")
            guard encoded.utf8.count <= (maximumDocumentBytes / 3 + 1) * 4, let bytes = Data(base64Encoded: encoded),
                let text = String(validating: bytes, as: UTF8.self)
            else { throw PeerError.malformed("document \(project)/\(id): text is not base64 of UTF-8 within the size limit") }
            let document: Document
            do {
                document = try Document(id: id, project: project, title: title, text: text, maximumBytes: maximumDocumentBytes)
            } catch {
                throw PeerError.malformed("document \(project)/\(id): \(error.message)")
            }
            guard document.text.sha256 == sha256 else {
                throw PeerError.malformed("document \(project)/\(id): its text does not match its SHA-256")
            }
            self = .document(document, sequence: sequence)
        case "OP":
            self = .operation(try OperationLine.operation(base64: Data(try fields.onlyPositional().utf8)))
        case "COMMIT":
            self = .commit(
                BatchCommit(
                    batch: try fields.number("batch"), operations: Int(clamping: try fields.number("operations")),
                    catalogCursor: try fields.number("catalog")
                )
            )
        case "ACK":
            self = .acknowledge(
                BatchAcknowledgement(
                    batch: try fields.number("batch"), vector: try VersionVector(peerText: try fields.text("vector")),
                    held: Int(clamping: try fields.number("held"))
                )
            )
        case "PING":
            self = .ping(try fields.positionalNumber())
        case "PONG":
            self = .pong(try fields.positionalNumber())
        case "GOODBYE":
            self = .goodbye(code: try fields.text("code"), message: try fields.text("message"))
        case Reply.byeWord:
            // The server's own farewell to any connection (`* BYE code message`), as when it shuts down.
            let values = line.arguments.compactMap { argument -> String? in
                if case .positional(let value) = argument { return value }
                return nil
            }
            guard values.count == 2, values.count == line.arguments.count else { throw PeerError.malformed("BYE takes a code and a message") }
            self = .goodbye(code: values[0], message: values[1])
            return
        default:
            throw PeerError.malformed("\(Excerpt.quoted(line.word)) is not a peer message")
        }
        try fields.finish(line.word)
    }
}

/// Reads a peer line's arguments: each named one once, nothing unknown.
private struct PeerFields {
    private var named: [String: String] = [:]
    private var positional: [String] = []
    private var used: Set<String> = []

    init(_ line: Line) throws(PeerError) {
        for argument in line.arguments {
            switch argument {
            case .named(let key, let value):
                guard named.updateValue(value, forKey: key) == nil else { throw PeerError.malformed("\(line.word): \(key)= appears twice") }
            case .positional(let value):
                positional.append(value)
            }
        }
    }

    mutating func text(_ key: String) throws(PeerError) -> String {
        used.insert(key)
        guard let value = named[key] else { throw PeerError.malformed("\(key)= is missing") }
        return value
    }

    mutating func number(_ key: String) throws(PeerError) -> UInt64 {
        let value = try text(key)
        guard let number = UInt64(value) else { throw PeerError.malformed("\(key)=\(Excerpt.of(value)) is not a whole number") }
        return number
    }

    mutating func identifier<ID>(_ key: String, _ make: (String) throws(CoreError) -> ID) throws(PeerError) -> ID {
        let value = try text(key)
        do {
            return try make(value)
        } catch {
            throw PeerError.malformed("\(key)=: \(error.message)")
        }
    }

    /// A database token (a UUID, lower case), or empty when absent or empty (a build that does not send it).
    mutating func optionalToken(_ key: String) throws(PeerError) -> String {
        used.insert(key)
        guard let value = named[key], !value.isEmpty else { return "" }
        guard value.utf8.count == 36, UUID(uuidString: value) != nil, value == value.lowercased() else {
            throw PeerError.malformed("\(key)=\(Excerpt.of(value)) is not a database token (a lower-case UUID)")
        }
        return value
    }

    /// A site name: the same form as a replica id.
    mutating func site(_ key: String) throws(PeerError) -> String {
        try identifier(key, ReplicaID.init).rawValue
    }

    mutating func onlyPositional() throws(PeerError) -> String {
        guard positional.count == 1 else { throw PeerError.malformed("expected exactly one value") }
        return positional.removeFirst()
    }

    mutating func positionalNumber() throws(PeerError) -> UInt64 {
        guard positional.count == 1, let number = UInt64(positional[0]) else { throw PeerError.malformed("expected one whole number") }
        positional = []
        return number
    }

    func finish(_ word: String) throws(PeerError) {
        let unknown = Set(named.keys).subtracting(used)
        guard unknown.isEmpty, positional.isEmpty else {
            throw PeerError.malformed("\(word) does not take \(unknown.isEmpty ? "positional values" : unknown.sorted().joined(separator: ", "))")
        }
    }
}
