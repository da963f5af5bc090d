import ArgumentParser
import Foundation
import GlossClient
import GlossCore
import GlossExport
import GlossExportFiles
import GlossExportOptions
import GlossProtocol
import Synchronization

/// `gloss export`: a batch of annotations streamed from the server, from one consistent snapshot.
struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a project's annotations to JSON Lines, W3C Web Annotation JSON-LD, CSV, brat standoff or an HTML report (reviewer role).",
        discussion: """
            The server reads one consistent snapshot and streams it as fast as this command \
            writes; --output appears only when complete (an interrupted export leaves nothing \
            at that name; a JSON Lines one can go on with --resume). A terminal shows the \
            count, rate and time left.

            Offsets count code points; --offsets utf16,utf8 adds UTF-16 units and UTF-8 bytes \
            (JSON Lines and CSV). Every export ends with a cursor (the JSON Lines end line, and \
            the last line on standard error): the next export with --since CURSOR returns \
            exactly what changed after it, deletions as records with deleted true. Formats and \
            fields: docs/EXPORT.md.

            Examples:
              gloss export --project news --output news.jsonl
              gloss export --format csv --label PERSON -o people.csv
              gloss export --format w3c --output news.jsonld
              gloss export --format brat --output news.tar
              gloss export --format html --output review.html
              gloss export --since gloss1-… --output changes.jsonl
              gloss export --resume --output news.jsonl

            Exit status as for every gloss command, and 74 when the output cannot be written \
            (a full disk, a closed pipe).
            """
    )

    @OptionGroup var selection: ExportOptions

    @OptionGroup var options: GlobalOptions

    /// The request, from the flags or, resuming, from the interrupted file's header.
    private func query(resuming partial: ExportPartial?) throws -> ExportQuery {
        do {
            guard let partial else {
                return ExportQuery(
                    format: selection.format.rawValue, project: try selection.project.map { try ProjectID($0) },
                    documents: try selection.documents.map { try DocumentID($0) }, label: selection.label, author: selection.author,
                    status: selection.status.flatMap(ReviewStatus.init(rawValue:)), changedAfter: selection.changedAfter, conflicted: selection.conflicted,
                    includeDeleted: selection.includeDeleted, since: selection.since, offsets: selection.offsetNames
                )
            }
            let pairs = partial.filter
            return ExportQuery(
                project: try pairs["project"].map { try ProjectID($0) },
                documents: try (pairs["documents"]?.split(separator: ",") ?? []).map { try DocumentID(String($0)) }, label: pairs["label"],
                author: pairs["author"], status: pairs["status"].flatMap(ReviewStatus.init(rawValue:)), changedAfter: pairs["changed_after"],
                conflicted: pairs["conflicted"] == "true", includeDeleted: pairs["include_deleted"] == "true", since: pairs["since"], offsets: partial.offsets,
                after: partial.after, asOf: partial.cursor, kept: partial.kept
            )
        } catch let error as CoreError {
            throw CLIError(.usage, error.message)
        }
    }

    func run() async throws {
        try await reporting(json: options.json) {
            var partial: ExportPartial?
            let file: ExportFile
            do {
                if selection.resume, let output = selection.output {
                    let found = try ExportPartial(destination: output)
                    partial = found
                    file = try ExportFile(resuming: found.path, destination: output)
                    Session.note("resuming \(found.path) after \(found.kept) annotation\(found.kept == 1 ? "" : "s")")
                } else {
                    file = try ExportFile(path: selection.output)
                }
            } catch {
                throw CLIError(.usage, "\(error)")
            }
            let request = try query(resuming: partial)
            let receiver = ExportReceiver(file: file)
            let response: Response
            do {
                response = try await Session.with(options) { session in try await session.connection.stream(.export(request), receiver.receive) }
            } catch {
                receiver.finishProgress()
                if let failure = receiver.failure {
                    if !keepForResuming(file) { file.abandon() }
                    throw CLIError(.output, failure)
                }
                let interrupted = (error as? ClientError).map { [.unavailable, .temporary].contains(CLIError($0).kind) } ?? false
                if interrupted, keepForResuming(file) { throw error }
                if selection.resume, let partial = file.partialPath {
                    file.suspend()
                    Session.note("the resumed export was refused; \(partial) stays as it was")
                } else {
                    file.abandon()
                }
                throw error
            }
            receiver.finishProgress()
            do {
                try file.finish()
            } catch {
                throw CLIError(.output, "\(error)")
            }
            let count = response.reply["count"] ?? "0"
            Session.note("exported \(count) annotation\(count == "1" ? "" : "s")\(selection.output.map { " to \($0)" } ?? "")")
            StandardError.write("cursor: \(Output.safe(response.reply["cursor"] ?? ""))\n")
        }
    }

    /// After the connection or the server failed midway, keeps a JSON Lines partial file to go on
    /// from, says how, and returns true; false when there is none.
    private func keepForResuming(_ file: ExportFile) -> Bool {
        guard selection.format == .jsonl || selection.resume, !file.isEmpty, let partial = file.partialPath, let output = selection.output else { return false }
        file.suspend()
        Session.note("the export was interrupted; \(partial) keeps what was written: go on with gloss export --resume --output \(output)")
        return true
    }
}

/// Takes an export's streamed lines on the connection's reading task: writes each chunk's
/// bytes to the file and shows progress. A chunk that cannot be written or decoded stops it.
final class ExportReceiver: Sendable {
    private struct State {
        var progress = ExportProgress()
        var failure: String?
    }

    /// Used only from the connection's reading task, one line at a time.
    private nonisolated(unsafe) let file: ExportFile
    private let state = Mutex(State())

    init(file: ExportFile) { self.file = file }

    /// Why the export stopped on this side, if it did.
    var failure: String? { state.withLock { $0.failure } }

    func receive(_ line: Line) -> Bool {
        switch line.word {
        case ExportQuery.openingWord:
            let total = Int(line["total"] ?? "") ?? 0
            state.withLock { $0.progress.start(total: total) }
            return true
        case ExportQuery.chunkWord:
            guard let data = line["data"].flatMap({ Data(base64Encoded: $0) }) else {
                state.withLock { $0.failure = "the server sent a chunk that is not base64" }
                return false
            }
            do {
                try file.write([UInt8](data))
            } catch {
                state.withLock { $0.failure = "\(error)" }
                return false
            }
            let count = Int(line["count"] ?? "") ?? 0
            state.withLock { $0.progress.advance(to: count) }
            return true
        default:
            return true
        }
    }

    func finishProgress() {
        state.withLock { $0.progress.finish() }
    }
}
