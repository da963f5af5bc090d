import ArgumentParser
import Foundation
import GlossClient
import GlossCore
import GlossImport
import GlossExportFiles
import GlossProtocol

/// `gloss import`: annotations from a JSON Lines export or a W3C Web Annotation file back into the server.
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import annotations from a Gloss JSON Lines export or a W3C Web Annotation JSON-LD file, from Gloss or another tool (reviewer role).",
        discussion: """
            Each annotation the server does not hold is created as the file shows it: its id, \
            creator, times, authors and conflicts (a file from another tool: its creator and \
            times where it gives them, you otherwise). One the server holds already keeps what \
            it has, except its review decision: a status or comment edited in the file comes \
            back as a review by you. Fields that differ otherwise are reported, not changed. \
            So importing the same file twice changes nothing the second time.

            Offsets count code points. When they no longer select the annotation's quote (the \
            text changed, or another tool counted UTF-16 units), the quote is looked for and \
            the occurrence whose prefix and suffix fit best is taken ("moved"); an annotation \
            whose quote is not in the document is reported, with the reason, and not imported.

            Records name their document (JSON Lines project and document; W3C target source \
            urn:gloss:document:PROJECT/DOCUMENT); --doc and --project place those that do not. \
            Rules and examples: docs/EXPORT.md, "Import".

            Examples:
              gloss import news.jsonl
              gloss import review.jsonld
              gloss import other-tool.json --doc japan-us --project news

            Exit status: 0 every record imported (or already there); 65 some records refused \
            (the others are imported; each refusal is on standard error); 64 the file cannot \
            be read; otherwise as for every gloss command.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case auto, jsonl, w3c
    }

    @ArgumentParser.Argument(help: "The file to import (- for standard input).")
    var file: String

    @Option(help: "auto (by content), jsonl (Gloss JSON Lines) or w3c (Web Annotation JSON-LD).")
    var format: Format = .auto

    @Option(help: "The project of records that do not name one (default: your only project).")
    var project: String?

    @Option(help: "The document of records that do not name one.")
    var doc: String?

    @OptionGroup var options: GlobalOptions

    /// One record to send, with where it is in the file; or, with `refusal`, one refused before sending.
    struct Record {
        let place: String
        let json: String
        var refusal: String?
    }

    func run() async throws {
        try await reporting(json: options.json) {
            let records = try read()
            let (projectID, documentID) = try placement()
            var counts: [String: Int] = [:]
            var refused = 0
            var progress = ExportProgress(verb: "imported")
            progress.start(total: records.count)
            for record in records where record.refusal != nil {
                refused += 1
                report(record, error: ClientError(code: "bad-record", message: record.refusal!))
            }
            let sendable = records.filter { $0.refusal == nil }
            try await Session.with(options) { session in
                var index = 0
                while index < sendable.count {
                    let batch = sendable[index..<min(index + Self.inFlight, sendable.count)]
                    index += batch.count
                    let answers = await withTaskGroup(of: (Int, Result<Line, ClientError>).self) { group in
                        for (offset, record) in batch.enumerated() {
                            group.addTask {
                                do throws(ClientError) {
                                    let command = Command.import(record: record.json, project: projectID, document: documentID)
                                    return (offset, .success(try await session.connection.send(command, timeout: session.timeout).reply))
                                } catch {
                                    return (offset, .failure(error))
                                }
                            }
                        }
                        return await group.reduce(into: [(Int, Result<Line, ClientError>)]()) { $0.append($1) }.sorted { $0.0 < $1.0 }
                    }
                    for (offset, answer) in answers {
                        let record = batch[batch.startIndex + offset]
                        switch answer {
                        case .success(let reply):
                            let result = reply["result"] ?? "?"
                            counts[result, default: 0] += 1
                            if reply["placement"] == "moved" { counts["moved", default: 0] += 1 }
                            report(record, reply: reply)
                        case .failure(let error):
                            guard Self.refusals.contains(error.code) else {
                                progress.finish()
                                let stopped = CLIError(error)
                                guard stopped.kind == .unavailable || stopped.kind == .temporary else { throw stopped }
                                throw CLIError(stopped.kind, stopped.message + "; importing again is safe: what was imported is left as it is", code: stopped.code)
                            }
                            refused += 1
                            report(record, error: error)
                        }
                    }
                    progress.advance(to: index + records.count - sendable.count)
                }
            }
            progress.finish()
            let summary = "\(records.count) record\(records.count == 1 ? "" : "s"): created \(counts["created"] ?? 0) (moved \(counts["moved"] ?? 0)), reviewed \(counts["reviewed"] ?? 0), unchanged \(counts["unchanged"] ?? 0), refused \(refused)"
            if options.json {
                Output.json([
                    "records": records.count, "created": counts["created"] ?? 0, "moved": counts["moved"] ?? 0, "reviewed": counts["reviewed"] ?? 0,
                    "unchanged": counts["unchanged"] ?? 0, "refused": refused,
                ])
            } else {
                Output.say("imported \(Output.safe(file)): \(summary)")
            }
            if refused > 0 { throw CLIError(.refused, "\(refused) record\(refused == 1 ? " was" : "s were") not imported (listed above)") }
        }
    }

    /// Requests sent at once.
    static let inFlight = 16

    /// The codes that refuse one record; any other error stops the import.
    static let refusals: Set<String> = ["bad-record", "unanchorable", "not-found", "bad-argument", "value-too-long", "invalid-tag", "invalid-character", "annotation-deleted", "line-too-long"]

    private func placement() throws -> (ProjectID?, DocumentID?) {
        do {
            return (try project.map { try ProjectID($0) }, try doc.map { try DocumentID($0) })
        } catch let error as CoreError {
            throw CLIError(.usage, error.message)
        }
    }

    private func report(_ record: Record, reply: Line) {
        if options.json {
            var object: [String: Any] = ["at": record.place, "id": reply["id"] ?? "", "result": reply["result"] ?? ""]
            if let placement = reply["placement"] { object["placement"] = placement }
            if let differs = reply["differs"] { object["differs"] = differs.split(separator: ",").map(String.init) }
            Output.json(object)
            return
        }
        if reply["result"] == "reviewed" { Session.note("\(record.place) (\(reply["id"] ?? "")): review decision recorded as the file gives it") }
        if let differs = reply["differs"] {
            Session.note("\(record.place) (\(reply["id"] ?? "")): already here and left as it is; the file differs in: \(differs.replacingOccurrences(of: ",", with: ", "))")
        }
    }

    private func report(_ record: Record, error: ClientError) {
        if options.json {
            Output.json(["at": record.place, "error": error.code, "message": error.message])
        } else {
            Session.note("\(record.place): not imported: \(error.code): \(error.message)")
        }
    }

    /// The file's annotation records, each as JSON text.
    func read() throws -> [Record] {
        var folder: ObjCBool = false
        if file != "-", FileManager.default.fileExists(atPath: file, isDirectory: &folder), folder.boolValue {
            throw CLIError(.usage, "\(file) is a folder: name an export file in it")
        }
        let data: Data
        do {
            data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw CLIError(.usage, "cannot read \(file): \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
        }
        guard String(data: data, encoding: .utf8) != nil else { throw CLIError(.usage, "\(file) is not UTF-8") }
        guard data.contains(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else {
            throw CLIError(.usage, "\(file) is empty: there is nothing to import")
        }
        switch format {
        case .jsonl: return Self.lines(data)
        case .w3c:
            guard let root = try? JSONSerialization.jsonObject(with: data) else {
                throw CLIError(.usage, "\(file) is not a JSON document (W3C Web Annotation JSON-LD); for JSON Lines, give --format jsonl")
            }
            return try Self.webAnnotations(root)
        case .auto:
            // A file that is one JSON document is W3C (unless it is a single JSON Lines record); anything else is JSON Lines.
            guard let root = try? JSONSerialization.jsonObject(with: data),
                !["header", "annotation"].contains((root as? [String: Any])?["type"] as? String ?? "")
            else { return Self.lines(data) }
            return try Self.webAnnotations(root)
        }
    }

    /// Annotation lines of a JSON Lines file (line feeds or CRLF); blank, header and end lines are skipped.
    static func lines(_ data: Data) -> [Record] {
        var records: [Record] = []
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.last == 0x0D ? line.dropLast() : line
            guard trimmed.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
            let type = ((try? JSONSerialization.jsonObject(with: Data(trimmed))) as? [String: Any])?["type"] as? String
            if type == "header" || type == "end" { continue }
            records.append(Record(place: "line \(index + 1)", json: String(decoding: trimmed, as: UTF8.self)))
        }
        return records
    }

    /// The annotations of a W3C file: a single annotation, a list, an AnnotationCollection or
    /// AnnotationPage with `items` (and `first`), or a JSON-LD `@graph` of any of them. Every
    /// other object in those lists is a record refused here, so nothing is skipped unsaid;
    /// places count the items of the file in order.
    static func webAnnotations(_ root: Any) throws -> [Record] {
        var records: [Record] = []
        func isContainer(_ object: [String: Any]) -> Bool { ["@graph", "items", "first"].contains { object[$0] is [Any] || object[$0] is [String: Any] } }
        func collect(_ value: Any) throws {
            if let list = value as? [Any] {
                for item in list { try collect(item) }
                return
            }
            let place = "item \(records.count + 1)"
            guard let object = value as? [String: Any] else {
                if !(value is String) { records.append(Record(place: place, json: "", refusal: "not a JSON object")) }
                return
            }
            if ImportedAnnotation.isWebAnnotation(object) {
                let bytes = try JSONSerialization.data(withJSONObject: object, options: [.withoutEscapingSlashes])
                records.append(Record(place: place, json: String(decoding: bytes, as: UTF8.self)))
            } else if isContainer(object) {
                for key in ["@graph", "items", "first"] { if let inner = object[key], !(inner is String) { try collect(inner) } }
            } else if !["AnnotationCollection", "AnnotationPage"].contains(object["type"] as? String ?? "") {
                records.append(Record(place: place, json: "", refusal: "not a Web Annotation (no \"type\": \"Annotation\" and no target)"))
            }
        }
        try collect(root)
        return records
    }
}
