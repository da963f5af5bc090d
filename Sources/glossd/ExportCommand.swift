import ArgumentParser
import Foundation
import GlossCore
import GlossExport
import GlossExportFiles
import GlossExportJob
import GlossStore

/// `glossd export`: annotations straight from PostgreSQL, from one consistent snapshot.
struct ExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export annotations from the database to JSON Lines, W3C Web Annotation JSON-LD, CSV, brat standoff or an HTML report, from one consistent snapshot.",
        discussion: """
            Reads PostgreSQL directly (a read-only standby will do), streams with flat memory, \
            and writes --output only when complete (an interrupted export leaves nothing at \
            that name).

            Offsets count code points; --offsets utf16,utf8 adds UTF-16 units and UTF-8 bytes \
            (JSON Lines and CSV; W3C and brat offsets count code points, as those formats say).

            Every export ends with a cursor (the JSON Lines end line, and the last line on \
            standard error): the next export with --since CURSOR returns exactly what changed \
            after it, deletions as records with deleted true. Formats and fields: docs/EXPORT.md.

            Examples (DB=postgres://gloss@db/gloss):
              glossd export --database-url $DB --project news --output news.jsonl
              glossd export --database-url $DB --format csv --label PERSON -o people.csv
              glossd export --database-url $DB --format w3c --output news.jsonld
              glossd export --database-url $DB --format brat --output news.tar
              glossd export --database-url $DB --format html --output review.html
              glossd export --database-url $DB --since gloss1-… --output changes.jsonl
            """
    )

    @OptionGroup var store: StoreOptions

    @Option(help: "jsonl (JSON Lines, gloss.export/1), w3c (W3C Web Annotation JSON-LD: an AnnotationCollection in pages), csv (RFC 4180), brat (standoff .txt and .ann per document, in a tar file) or html (a self-contained review report).")
    var format: ExportFormat = .jsonl

    @Option(name: [.customShort("o"), .long], help: "The file to write (default: standard output).")
    var output: String?

    @Option(help: "Only this project's annotations.")
    var project: String?

    @Option(help: "Only this document's annotations (repeatable; needs --project).")
    var document: [String] = []

    @Option(help: "Only annotations with this label.")
    var label: String?

    @Option(help: "Only annotations whose latest field write is by this author.")
    var author: String?

    @Option(help: "Only annotations with this review status: open, accepted or rejected.")
    var status: String?

    @Option(help: "Only annotations changed after this time, RFC 3339 as exports print it: 2026-12-04T09:30:00Z, 2026-12-04T09:30:00.250+01:00.")
    var changedAfter: String?

    @Flag(help: "Only annotations with an unresolved conflict (a field written concurrently, or a deletion that met an edit).")
    var conflicted = false

    @Flag(help: "Include deleted annotations (an export --since always does).")
    var includeDeleted = false

    @Option(help: "Only what changed after this cursor (printed by an earlier export).")
    var since: String?

    @Option(help: "Offsets in other units besides code points: utf16, utf8 or utf16,utf8.")
    var offsets: String?

    @Flag(help: "Go on with an interrupted JSON Lines export to --output, with the filter it began with.")
    var resume = false

    func validate() throws {
        if resume {
            guard output != nil, format == .jsonl else { throw ValidationError("--resume needs --output FILE of a JSON Lines export (the format that can be resumed)") }
            guard project == nil, document.isEmpty, label == nil, author == nil, status == nil, changedAfter == nil, !conflicted, !includeDeleted, since == nil,
                offsets == nil
            else {
                throw ValidationError("--resume takes the filter and offsets from the interrupted export's header; give only --output (and --database-url)")
            }
        }
        if !document.isEmpty, project == nil { throw ValidationError("--document needs --project: document ids are unique within a project") }
        if let status, ReviewStatus(rawValue: status) == nil { throw ValidationError("--status must be open, accepted or rejected") }
        if let changedAfter, ExportHeader.time(changedAfter) == nil {
            throw ValidationError("--changed-after takes an RFC 3339 time such as 2026-12-04T09:30:00Z; \(Excerpt.quoted(changedAfter)) is not one")
        }
        if try !units().isEmpty, !format.takesOtherOffsetUnits {
            throw ValidationError("--offsets applies to jsonl and csv: W3C, brat and HTML offsets count code points, as those formats say")
        }
        if !format.marksDeletions, since != nil || includeDeleted {
            throw ValidationError("\(format.rawValue) shows annotations as they stand: --since and --include-deleted need jsonl, w3c or csv, which mark deletions")
        }
        if let since {
            do {
                _ = try ExportCursor(since)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    func units() throws -> OffsetUnits {
        guard let offsets else { return [] }
        let names = offsets.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let units = ExportHeader.units(names) else {
            throw ValidationError("--offsets takes utf16, utf8 or utf16,utf8; \(Excerpt.quoted(offsets)) is not that")
        }
        return units
    }

    func filter() throws -> AnnotationFilter {
        do {
            return AnnotationFilter(
                project: try project.map { try ProjectID($0) }, documents: try document.map { try DocumentID($0) }, label: label, author: author,
                status: status.flatMap(ReviewStatus.init(rawValue:)), changedSince: changedAfter.flatMap(ExportHeader.time), includeDeleted: includeDeleted,
                onlyConflicted: conflicted
            )
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var (asked, units, cursor) = (try filter(), try units(), try since.map { try ExportCursor($0) })
        _ = try store.database()
        let file: ExportFile
        var resumed: ExportResume?
        do {
            if resume, let output {
                let found = try ExportResume(destination: output)
                (asked, units, cursor, resumed) = (found.filter, found.units, found.since, found)
                file = try ExportFile(resuming: found.partial, destination: output)
                let kept = found.resumption.kept
                StandardError.write("glossd: resuming \(found.partial) after \(kept) annotation\(kept == 1 ? "" : "s")\n")
            } else {
                file = try ExportFile(path: output)
            }
        } catch {
            throw usage("\(error)")
        }
        let writer = ExportWriter(format: format, units: units, file: file)
        let (filter, since, resumeFrom) = (asked, cursor, resumed?.resumption)
        do {
            let summary = try await store.withStore { store in
                try await store.checkExists(filter)
                return try await writer.run(store, filter: filter, since: since, resume: resumeFrom)
            }
            try file.finish()
            StandardError.write("glossd: exported \(summary.count) annotation\(summary.count == 1 ? "" : "s")\(output.map { " to \($0)" } ?? "")\ncursor: \(summary.cursor)\n")
        } catch let error as StoreError {
            if error.isRetryable || resumeFrom != nil, keepForResuming(file) { throw fail(error) }
            file.abandon()
            throw fail(error)
        } catch let error as ExportWriteError {
            StandardError.write("glossd: \(error)\n")
            if !keepForResuming(file) { file.abandon() }
            throw ExitCode(74)
        } catch let exit as ExitCode {
            file.abandon()
            throw exit
        } catch {
            if resumeFrom != nil {
                file.suspend()
                StandardError.write("glossd: the resumed export failed; its partial file stays: \(error)\n")
                throw ExitCode(1)
            }
            file.abandon()
            StandardError.write("glossd: the export failed, nothing was written at its name: \(error)\n")
            throw ExitCode(1)
        }
    }

    /// After the database went away or a write failed mid-export (or a resumed export failed), keeps
    /// a JSON Lines partial file to go on from, says how, and returns true; false when there is none.
    private func keepForResuming(_ file: ExportFile) -> Bool {
        guard format == .jsonl, !file.isEmpty, let partial = file.partialPath, let output else { return false }
        file.suspend()
        StandardError.write("glossd: the export was interrupted; \(partial) keeps what was written: go on with glossd export --resume --output \(output)\n")
        return true
    }
}
