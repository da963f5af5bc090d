import ArgumentParser
import Foundation
import GlossCore
import GlossClient
import GlossProtocol

/// `gloss doc`: documents.
struct Doc: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add, list and show documents.",
        subcommands: [Add.self, List.self, Show.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Upload a UTF-8 text file as a document (its text never changes; a corrected text is a new document).",
            discussion: """
                The document is exactly the file's bytes: a byte order mark is kept (it is
                code point 0), CRLF line ends are kept, nothing is normalized, and the
                SHA-256 printed is the file's own (compare with sha256sum).
                """
        )
        @ArgumentParser.Argument(help: "The text file, or - for standard input.") var file: String
        @Option(help: "The document's title (default: the file name).") var title: String?
        @Option(help: "The document id (default: derived from the title).") var id: String?
        @Option(help: "The project (default: your only project).") var project: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reporting(json: options.json) {
                let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try readFile(file)
                // The document is exactly the bytes given: a byte order mark stays (as U+FEFF at
                // offset 0), line ends stay as they are, and the SHA-256 is the file's.
                guard let text = String(validating: data, as: UTF8.self) else { throw CLIError(.usage, "\(file) is not UTF-8 text") }
                let title = title ?? URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
                let documentID = try id.map { text throws in try parsed { () throws(CoreError) in try DocumentID(text) } }
                let writer = try Writer(options)
                let named = try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } }
                let reply: Line
                let chosen: ProjectID
                if let named {
                    chosen = named
                    reply = try await writer.send(.putDocument(DocumentUpload(project: named, id: documentID, title: title, text: text))).reply
                } else {
                    (chosen, reply) = try await Session.with(options) { session in
                        let project = try session.defaultProject()
                        return (project, try await writer.send(.putDocument(DocumentUpload(project: project, id: documentID, title: title, text: text)), over: session).reply)
                    }
                }
                if options.json {
                    Output.json(["id": reply["id"] ?? "", "project": chosen.rawValue, "sha256": reply["sha256"] ?? "", "codePoints": Int(reply["code-points"] ?? "") ?? 0])
                } else {
                    Output.say("document \(reply["id"] ?? "?") in \(chosen): \(reply["code-points"] ?? "?") code points, sha256 \(reply["sha256"] ?? "?")")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a project's documents.")
        @Option(help: "The project (default: your only project).") var project: String?
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reporting(json: options.json) {
                try await Session.with(options) { session in
                    let project = try project.map { text throws in try parsed { () throws(CoreError) in try ProjectID(text) } } ?? session.defaultProject()
                    let response = try await session.send(.listDocuments(project))
                    for line in response.lines(DocumentRecord.word) {
                        if options.json {
                            Output.json(["id": line["id"] ?? "", "project": project.rawValue, "title": line["title"] ?? ""])
                        } else {
                            Output.say("\(line["id"] ?? "")\t\(Output.safe(line["title"] ?? ""))")
                        }
                    }
                    if !options.json, response.lines.isEmpty { Output.say("no documents in \(project) yet: gloss doc add FILE") }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a document with its annotations marked: highlighted on a terminal, [bracketed]{N:LABEL} otherwise."
        )
        @ArgumentParser.Argument(help: "The document id.") var id: String
        @Option(help: "The document's project (needed only when several of your projects hold a document with this id).") var project: String?
        @Flag(help: "Bracket spans even on a terminal.") var plain = false
        @OptionGroup var options: GlobalOptions

        func run() async throws {
            try await reporting(json: options.json) {
                let reference = try documentReference(id, project: project)
                try await Session.with(options) { session in
                    guard let line = try await session.send(.getDocument(reference)).lines(DocumentRecord.word).first else {
                        throw CLIError(.notFound, "no document '\(reference)'")
                    }
                    let document = try DocumentRecord(line: line)
                    let annotations = try await allAnnotations(session, AnnotationQuery(project: document.project, documents: [document.id]))
                    session.shown(annotations)
                    if options.json {
                        Output.json([
                            "id": document.id.rawValue, "project": document.project.rawValue, "title": document.title, "sha256": document.sha256,
                            "text": document.text ?? "", "annotations": annotations.map { Output.object($0) },
                        ])
                    } else {
                        Output.say("\(Output.safe(document.title)) (\(document.id), \(document.codePoints) code points, \(annotations.count) annotations)\n")
                        Output.say(Highlighter(text: document.text ?? "", annotations: annotations).render(colour: !plain && isatty(1) == 1))
                    }
                }
            }
        }
    }
}

/// Every page of a listing.
func allAnnotations(_ session: Session, _ query: AnnotationQuery, conflictsOnly: Bool = false) async throws -> [AnnotationRecord] {
    var query = query
    query.limit = AnnotationQuery.maximumLimit
    var records: [AnnotationRecord] = []
    while true {
        let response = try await session.send(conflictsOnly ? .conflicts(query) : .list(query))
        records += try response.lines(AnnotationRecord.word).map { try AnnotationRecord(line: $0) }
        guard let next = response.reply["next"].flatMap({ Int64($0) }) else { return records }
        query.after = next
    }
}

/// Reads a file, or fails with a usage error naming it.
func readFile(_ path: String) throws -> Data {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
        throw CLIError(.usage, "cannot read \(Output.safe(path)): no such file")
    }
    guard !isFolder.boolValue else { throw CLIError(.usage, "\(Output.safe(path)) is a folder; give a text file") }
    do {
        return try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
        throw CLIError(.usage, "cannot read \(Output.safe(path)) (is it readable by you?)")
    }
}

/// Runs an identifier initializer; its error becomes a usage error.
func parsed<ID>(_ make: () throws(CoreError) -> ID) throws -> ID {
    do {
        return try make()
    } catch {
        throw CLIError(.usage, error.message)
    }
}
