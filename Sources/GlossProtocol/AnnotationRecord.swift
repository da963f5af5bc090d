public import GlossCore

/// An annotation as it travels in `* ANNOTATION` and `* EVENT` lines.
///
/// Times are hybrid logical timestamps (milliseconds since 1970 in the upper
/// 48 bits, a logical counter in the lower 16), so `since=` filters take them
/// as printed.
public struct AnnotationRecord: Hashable, Sendable {
    /// The untagged word of an annotation line.
    public static let word = "ANNOTATION"

    /// The annotation's id.
    public var id: AnnotationID
    /// The project of the document annotated (`project=`).
    public var project: ProjectID
    /// The document annotated (`doc=`).
    public var document: DocumentID
    /// Where the span starts, in code points.
    public var start: Int
    /// Where the span ends (exclusive), in code points.
    public var end: Int
    /// The text of the span.
    public var quote: String
    /// Up to 32 code points before the span.
    public var prefix: String
    /// Up to 32 code points after the span.
    public var suffix: String
    /// The label (empty for none).
    public var label: String
    /// The note (empty for none).
    public var note: String
    /// The tags, sorted.
    public var tags: [String]
    /// The review status.
    public var status: ReviewStatus
    /// The reviewer's comment.
    public var comment: String
    /// Who created it.
    public var creator: String
    /// When it was created (hybrid logical timestamp).
    public var created: UInt64
    /// When it last changed (hybrid logical timestamp).
    public var updated: UInt64
    /// `live`, `deleted`, or `delete-conflict` (deleted while someone edited it: a person decides).
    public var deletion: String
    /// Fields whose concurrent values wait to be resolved.
    public var conflicts: [Field]
    /// The values shown, as `rev=`: send it back with an edit so that writes not seen stay as conflicts.
    public var revision: [Dot]

    /// The record of a merged annotation's view, with its revision.
    public init(_ view: AnnotationView, revision: [Dot]) {
        self.revision = revision
        id = view.id
        project = view.project
        document = view.document
        start = view.span.value.start
        end = view.span.value.end
        quote = view.span.value.quote
        prefix = view.span.value.prefix
        suffix = view.span.value.suffix
        label = view.label.value
        note = view.note.value
        tags = view.tags
        status = view.review.value.status
        comment = view.review.value.comment
        creator = view.creator
        created = view.createdAt.rawValue
        updated = view.updatedAt.rawValue
        switch view.deletion {
        case .live: deletion = "live"
        case .deleted: deletion = "deleted"
        case .deleteConflict: deletion = "delete-conflict"
        }
        conflicts = view.conflictedFields
    }

    /// The record's arguments, as carried by annotation and event lines.
    public var arguments: [Argument] {
        var arguments: [Argument] = [
            .named(key: "id", value: id.description), .named(key: "project", value: project.rawValue), .named(key: "doc", value: document.rawValue),
            .named(key: "start", value: String(start)), .named(key: "end", value: String(end)),
            .named(key: "quote", value: quote), .named(key: "prefix", value: prefix), .named(key: "suffix", value: suffix),
            .named(key: "label", value: label), .named(key: "note", value: note),
            .named(key: "tags", value: tags.joined(separator: ",")),
            .named(key: "status", value: status.rawValue), .named(key: "comment", value: comment),
            .named(key: "creator", value: creator), .named(key: "created", value: String(created)),
            .named(key: "updated", value: String(updated)), .named(key: "deleted", value: deletion),
        ]
        if !conflicts.isEmpty { arguments.append(.named(key: "conflicts", value: conflicts.map(\.rawValue).joined(separator: ","))) }
        arguments.append(.named(key: "rev", value: Request.revisionText(revision)))
        return arguments
    }

    /// `* ANNOTATION …`.
    public var line: Line { Line(tag: Line.untagged, word: Self.word, arguments: arguments) }

    /// Reads a record from an annotation or event line.
    public init(line: Line) throws(ProtocolError) {
        func text(_ key: String) throws(ProtocolError) -> String {
            guard let value = line[key] else { throw ProtocolError(.malformed, "\(line.word) line without \(key)=") }
            return value
        }
        func number(_ key: String) throws(ProtocolError) -> UInt64 {
            guard let value = UInt64(try text(key)) else { throw ProtocolError(.malformed, "\(key)= is not a number") }
            return value
        }
        let (idText, projectText, documentText) = (try text("id"), try text("project"), try text("doc"))
        guard let id = try? AnnotationID(idText), let project = try? ProjectID(projectText), let document = try? DocumentID(documentText) else {
            throw ProtocolError(.malformed, "\(line.word) line with a malformed id=, project= or doc=")
        }
        self.id = id
        self.project = project
        self.document = document
        start = Int(try number("start"))
        end = Int(try number("end"))
        quote = try text("quote")
        prefix = try text("prefix")
        suffix = try text("suffix")
        label = try text("label")
        note = try text("note")
        let tagList = try text("tags")
        tags = tagList.isEmpty ? [] : tagList.split(separator: ",").map(String.init)
        guard let status = ReviewStatus(rawValue: try text("status")) else { throw ProtocolError(.malformed, "unknown status=") }
        self.status = status
        comment = try text("comment")
        creator = try text("creator")
        created = try number("created")
        updated = try number("updated")
        deletion = try text("deleted")
        conflicts = (line["conflicts"] ?? "").split(separator: ",").compactMap { Field(rawValue: String($0)) }
        revision = try Request.revision(line["rev"] ?? "")
    }
}

/// One losing value of a conflicted field: `* CONFLICT id=… field=… value=… author=… time=…`.
///
/// Span values print as `start:end "quote"`; review values as `status` or `status: comment`.
public struct ConflictRecord: Hashable, Sendable {
    /// The untagged word of a conflict line.
    public static let word = "CONFLICT"

    /// The annotation.
    public var id: AnnotationID
    /// The conflicted field.
    public var field: Field
    /// The losing value, as text.
    public var value: String
    /// Who wrote it.
    public var author: String
    /// When (hybrid logical timestamp).
    public var time: UInt64

    /// Creates a record.
    public init(id: AnnotationID, field: Field, value: String, author: String, time: UInt64) {
        self.id = id
        self.field = field
        self.value = value
        self.author = author
        self.time = time
    }

    /// Every losing value of every conflicted field of `view`.
    public static func all(in view: AnnotationView) -> [ConflictRecord] {
        func records<Value>(_ field: Field, _ fieldView: FieldView<Value>, _ show: (Value) -> String) -> [ConflictRecord] {
            fieldView.conflicts.map { ConflictRecord(id: view.id, field: field, value: show($0.value), author: $0.author, time: $0.timestamp.rawValue) }
        }
        return records(.span, view.span) { "\($0.start):\($0.end) \"\($0.quote)\"" }
            + records(.label, view.label) { $0 }
            + records(.note, view.note) { $0 }
            + records(.review, view.review) { $0.comment.isEmpty ? $0.status.rawValue : "\($0.status.rawValue): \($0.comment)" }
    }

    /// `* CONFLICT …`.
    public var line: Line {
        Line(
            tag: Line.untagged, word: Self.word,
            arguments: [
                .named(key: "id", value: id.description), .named(key: "field", value: field.rawValue), .named(key: "value", value: value),
                .named(key: "author", value: author), .named(key: "time", value: String(time)),
            ]
        )
    }

    /// Reads a conflict line.
    public init(line: Line) throws(ProtocolError) {
        guard let idText = line["id"], let id = try? AnnotationID(idText), let field = line["field"].flatMap(Field.init(rawValue:)),
            let value = line["value"], let author = line["author"], let time = line["time"].flatMap({ UInt64($0) })
        else { throw ProtocolError(.malformed, "a CONFLICT line needs id=, field=, value=, author= and time=") }
        self.init(id: id, field: field, value: value, author: author, time: time)
    }
}
