public import GlossCore

/// A document as it travels in `* DOC` lines; the text only when asked for (`DOC-GET`).
public struct DocumentRecord: Hashable, Sendable {
    /// The untagged word of a document line.
    public static let word = "DOC"

    /// The document id.
    public var id: DocumentID
    /// Its project.
    public var project: ProjectID
    /// Its title.
    public var title: String
    /// SHA-256 of its UTF-8 text, in hex.
    public var sha256: String
    /// Its length in Unicode code points.
    public var codePoints: Int
    /// Its text, when requested.
    public var text: String?

    /// Creates a record.
    public init(id: DocumentID, project: ProjectID, title: String, sha256: String, codePoints: Int, text: String?) {
        self.id = id
        self.project = project
        self.title = title
        self.sha256 = sha256
        self.codePoints = codePoints
        self.text = text
    }

    /// A stored document's record, with its text when `includingText`.
    public init(_ document: Document, includingText: Bool) {
        self.init(
            id: document.id, project: document.project, title: document.title, sha256: document.text.sha256,
            codePoints: document.text.count, text: includingText ? document.text.text : nil
        )
    }

    /// `* DOC …`.
    public var line: Line {
        var arguments: [Argument] = [
            .named(key: "id", value: id.rawValue), .named(key: "project", value: project.rawValue), .named(key: "title", value: title),
            .named(key: "sha256", value: sha256), .named(key: "code-points", value: String(codePoints)),
        ]
        if let text { arguments.append(.named(key: "text", value: text)) }
        return Line(tag: Line.untagged, word: Self.word, arguments: arguments)
    }

    /// Reads a document line.
    public init(line: Line) throws(ProtocolError) {
        guard let idText = line["id"], let id = try? DocumentID(idText), let projectText = line["project"],
            let project = try? ProjectID(projectText), let title = line["title"], let sha256 = line["sha256"],
            let codePoints = line["code-points"].flatMap({ Int($0) })
        else { throw ProtocolError(.malformed, "a DOC line needs id=, project=, title=, sha256= and code-points=") }
        self.init(id: id, project: project, title: title, sha256: sha256, codePoints: codePoints, text: line["text"])
    }
}

/// A live change pushed to a subscriber:
/// `* EVENT sub=… seq=… change=… by=… <annotation arguments>`.
///
/// `seq` counts the events of one subscription from 1 without gaps, so a
/// client sees at once if one is missing.
public struct EventRecord: Hashable, Sendable {
    /// The untagged word of an event line.
    public static let word = "EVENT"

    /// The subscription, as numbered by `SUBSCRIBE`.
    public var subscription: Int
    /// The event's number within its subscription, from 1.
    public var sequence: UInt64
    /// The operation's kind: `create`, `set-label`, `add-tag`, `delete`, …
    public var change: String
    /// Who made the change.
    public var author: String
    /// The annotation after the change.
    public var annotation: AnnotationRecord

    /// Creates a record.
    public init(subscription: Int, sequence: UInt64, change: String, author: String, annotation: AnnotationRecord) {
        self.subscription = subscription
        self.sequence = sequence
        self.change = change
        self.author = author
        self.annotation = annotation
    }

    /// `* EVENT …`.
    public var line: Line {
        Line(
            tag: Line.untagged, word: Self.word,
            arguments: [
                .named(key: "sub", value: String(subscription)), .named(key: "seq", value: String(sequence)),
                .named(key: "change", value: change), .named(key: "by", value: author),
            ] + annotation.arguments
        )
    }

    /// Reads an event line.
    public init(line: Line) throws(ProtocolError) {
        guard let subscription = line["sub"].flatMap({ Int($0) }), let sequence = line["seq"].flatMap({ UInt64($0) }),
            let change = line["change"], let author = line["by"]
        else { throw ProtocolError(.malformed, "an EVENT line needs sub=, seq=, change= and by=") }
        self.init(subscription: subscription, sequence: sequence, change: change, author: author, annotation: try AnnotationRecord(line: line))
    }
}
