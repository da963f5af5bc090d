import ArgumentParser
import Foundation
import GlossExportFiles
import GlossCore
import GlossClient
import GlossProtocol

/// An annotation id argument.
struct AnnotationArgument: ParsableArguments {
    @ArgumentParser.Argument(help: "The annotation id (as printed by add and ls).") var id: String

    func value() throws -> AnnotationID { try parsed { () throws(CoreError) in try AnnotationID(id) } }
}

/// Prints a write's reply: the annotation id, and whether the write was a replay;
/// a server's warning goes to standard error.
func reportWrite(_ reply: Line, verb: String, options: GlobalOptions) {
    if let warning = reply["warning"], !options.json {
        StandardError.write("gloss: warning: \(Output.safe(warning))\n")
    }
    if options.json {
        var object: [String: Any] = ["id": reply["id"] ?? "", "replayed": reply["replayed"] == "yes"]
        if let warning = reply["warning"] { object["warning"] = warning }
        if let start = reply["start"].flatMap({ Int($0) }), let end = reply["end"].flatMap({ Int($0) }) {
            object["start"] = start
            object["end"] = end
            object["quote"] = reply["quote"] ?? ""
        }
        Output.json(object)
    } else {
        let again = reply["replayed"] == "yes" ? " (sent before; applied once)" : ""
        if let start = reply["start"], let end = reply["end"] {
            Output.say("\(verb) \(reply["id"] ?? "?") [\(start),\(end)) \(Output.quoted(reply["quote"] ?? "", limit: 60))\(again)")
        } else {
            Output.say("\(verb) \(reply["id"] ?? "?")\(again)")
        }
    }
}

struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Annotate a span of a document.",
        discussion: """
            Examples:
              gloss add japan-us --quote "Lloyd Austin" --label PERSON
              gloss add japan-us --quote China --occurrence 2 --label PLACE --note "again"
              gloss add japan-us --span 120:132 --label ORG --tag check --tag economy
            """
    )
    @ArgumentParser.Argument(help: "The document id.") var document: String
    @Option(help: "The document's project (needed only when several of your projects hold a document with this id).") var project: String?
    @OptionGroup var span: SpanOptions
    @Option(help: "A label, such as PERSON.") var label = ""
    @Option(help: "A free-text note.") var note = ""
    @Option(help: "A tag (repeatable).") var tag: [String] = []
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            guard let target = try span.target() else { throw CLIError(.usage, "say where: --quote TEXT [--occurrence N] or --span START:END") }
            let new = NewAnnotation(document: try documentReference(document, project: project), target: target, label: label, note: note, tags: tag)
            let writer = try Writer(options)
            let reply = try await writer.send(.add(new)).reply
            if let id = reply["id"].flatMap({ try? AnnotationID($0) }) { Session.recordWrite(reply, on: id, profile: writer.profileName) }
            reportWrite(reply, verb: "added", options: options)
        }
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List annotations, filtered.")
    @Option(help: "Only this document (repeatable).") var doc: [String] = []
    @Option(help: "Only this project (default: your only project).") var project: String?
    @Option(help: "Only this label.") var label: String?
    @Option(help: "Only annotations last written by this user.") var author: String?
    @Option(help: "Only this review status: open, accepted, rejected.") var status: String?
    @Flag(help: "Include deleted annotations.") var deleted = false
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let query = try makeQuery(doc: doc, project: project, label: label, author: author, status: status, deleted: deleted)
            try await Session.with(options) { session in
                let records = try await allAnnotations(session, query)
                session.shown(records)
                for record in records {
                    if options.json { Output.json(Output.object(record)) } else { Output.say(Output.summary(record)) }
                }
                if !options.json, records.isEmpty { Output.say("no annotations match") }
            }
        }
    }
}

/// A document named on the command line, with its project when one is given.
func documentReference(_ document: String, project: String?) throws -> DocumentReference {
    DocumentReference(
        try parsed { () throws(CoreError) in try DocumentID(document) },
        in: try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } }
    )
}

/// A listing query from the command line's filters.
func makeQuery(doc: [String], project: String?, label: String? = nil, author: String? = nil, status: String? = nil, deleted: Bool = false) throws -> AnnotationQuery {
    var parsedStatus: ReviewStatus?
    if let status {
        guard let value = ReviewStatus(rawValue: status) else { throw CLIError(.usage, "--status takes open, accepted or rejected") }
        parsedStatus = value
    }
    return AnnotationQuery(
        project: try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } },
        documents: try doc.map { text throws in try parsed { () throws(CoreError) in try DocumentID(text) } }, label: label, author: author, status: parsedStatus,
        includeDeleted: deleted
    )
}

struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one annotation with every field and its conflicts.")
    @OptionGroup var annotation: AnnotationArgument
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let id = try annotation.value()
            try await Session.with(options) { session in
                let response = try await session.send(.get(id))
                guard let line = response.lines(AnnotationRecord.word).first else { throw CLIError(.notFound, "no annotation \(id)") }
                let record = try AnnotationRecord(line: line)
                session.shown([record])
                let conflicts = try response.lines(ConflictRecord.word).map { try ConflictRecord(line: $0) }
                if options.json { Output.json(Output.object(record, conflicts: conflicts)) } else { Output.say(Output.details(record, conflicts: conflicts)) }
            }
        }
    }
}

struct EditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "edit",
        abstract: "Change an annotation's span, label or note (together, all or nothing).",
        discussion: "Example: gloss edit ID --label ORG --note \"the ministry, not the minister\""
    )
    @OptionGroup var annotation: AnnotationArgument
    @OptionGroup var span: SpanOptions
    @Option(help: "New label.") var label: String?
    @Option(help: "New note.") var note: String?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            var edits: [Edit] = []
            if let target = try span.target() { edits.append(.span(target)) }
            if let label { edits.append(.label(label)) }
            if let note { edits.append(.note(note)) }
            guard !edits.isEmpty else { throw CLIError(.usage, "say what to change: --label, --note, --quote or --span") }
            let id = try annotation.value()
            reportWrite(try await Writer(options).edit(id, .set(id, edits)).reply, verb: "edited", options: options)
        }
    }
}

/// Runs a command that edits one annotation and reports it.
func simpleWrite(_ options: GlobalOptions, verb: String, on id: AnnotationID, _ command: Command) async throws {
    try await reporting(json: options.json) {
        reportWrite(try await Writer(options).edit(id, command).reply, verb: verb, options: options)
    }
}

struct TagCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Add tags to an annotation.")
    @OptionGroup var annotation: AnnotationArgument
    @ArgumentParser.Argument(help: "Tags to add.") var tags: [String]
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let id = try annotation.value()
        try await simpleWrite(options, verb: "tagged", on: id, .tag(id, tags))
    }
}

struct Untag: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Remove tags from an annotation (a concurrent add of the same tag wins).")
    @OptionGroup var annotation: AnnotationArgument
    @ArgumentParser.Argument(help: "Tags to remove.") var tags: [String]
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let id = try annotation.value()
        try await simpleWrite(options, verb: "untagged", on: id, .untag(id, tags))
    }
}

struct Remove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm", abstract: "Delete an annotation (if someone edits it concurrently, it stays, flagged for a person to decide)."
    )
    @OptionGroup var annotation: AnnotationArgument
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let id = try annotation.value()
        try await simpleWrite(options, verb: "deleted", on: id, .delete(id))
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring back a deleted annotation (needed before editing it again), or keep one whose deletion conflicted with an edit."
    )
    @OptionGroup var annotation: AnnotationArgument
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let id = try annotation.value()
        try await simpleWrite(options, verb: "restored", on: id, .restore(id))
    }
}

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review", abstract: "Record a review decision (needs the reviewer role).",
        discussion: "Examples: gloss review accept ID; gloss review reject ID --comment \"wrong person\"; gloss review reopen ID"
    )
    @ArgumentParser.Argument(help: "accept, reject or reopen.") var decision: String
    @OptionGroup var annotation: AnnotationArgument
    @Option(help: "A comment for the analyst.") var comment = ""
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let statuses: [String: ReviewStatus] = ["accept": .accepted, "reject": .rejected, "reopen": .open]
        guard let status = statuses[decision] else { throw ValidationError("the decision is accept, reject or reopen, not \"\(Output.safe(decision))\"") }
        let id = try annotation.value()
        try await simpleWrite(options, verb: "reviewed", on: id, .review(id, Review(status: status, comment: comment)))
    }
}

struct Conflicts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List annotations with unresolved conflicts and the competing values.")
    @Option(help: "Only this document (repeatable).") var doc: [String] = []
    @Option(help: "Only this project (default: your only project).") var project: String?
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try await reporting(json: options.json) {
            let query = try makeQuery(doc: doc, project: project)
            try await Session.with(options) { session in
                var query = query
                query.limit = AnnotationQuery.maximumLimit
                var shown = 0
                while true {
                    let response = try await session.send(.conflicts(query))
                    let conflicts = try response.lines(ConflictRecord.word).map { try ConflictRecord(line: $0) }
                    let records = try response.lines(AnnotationRecord.word).map { try AnnotationRecord(line: $0) }
                    session.shown(records)
                    for record in records {
                        let own = conflicts.filter { $0.id == record.id }
                        shown += 1
                        if options.json { Output.json(Output.object(record, conflicts: own)) } else { Output.say(Output.details(record, conflicts: own) + "\n") }
                    }
                    guard let next = response.reply["next"].flatMap({ Int64($0) }) else { break }
                    query.after = next
                }
                if !options.json, shown == 0 { Output.say("no conflicts") }
            }
        }
    }
}

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Settle a conflict on one field by writing the value to keep.",
        discussion: "Examples: gloss resolve ID --label PERSON; gloss resolve ID --quote \"Lloyd Austin\"; gloss resolve ID --status accepted"
    )
    @OptionGroup var annotation: AnnotationArgument
    @OptionGroup var span: SpanOptions
    @Option(help: "The label to keep.") var label: String?
    @Option(help: "The note to keep.") var note: String?
    @Option(help: "The review status to keep: open, accepted, rejected.") var status: String?
    @Option(help: "The review comment to keep (with --status).") var comment = ""
    @OptionGroup var options: GlobalOptions

    func run() async throws {
        var edits: [Edit] = []
        if let target = try span.target() { edits.append(.span(target)) }
        if let label { edits.append(.label(label)) }
        if let note { edits.append(.note(note)) }
        if let status {
            guard let value = ReviewStatus(rawValue: status) else { throw ValidationError("--status takes open, accepted or rejected") }
            edits.append(.review(Review(status: value, comment: comment)))
        }
        guard edits.count == 1 else { throw ValidationError("give exactly one field to settle: --label, --note, --status, --quote or --span") }
        let id = try annotation.value()
        try await simpleWrite(options, verb: "resolved", on: id, .resolve(id, edits[0]))
    }
}
