import ArgumentParser
import Foundation
import GlossCore
import GlossExport
import GlossExportFiles
import GlossExportJob
import GlossExportOptions
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

    @OptionGroup var selection: ExportOptions

    func validate() throws {
        if !selection.documents.isEmpty, selection.project == nil {
            throw ValidationError("--document needs --project: document ids are unique within a project")
        }
        if let since = selection.since {
            do {
                _ = try ExportCursor(since)
            } catch {
                throw ValidationError(error.message)
            }
        }
    }

    func units() -> OffsetUnits {
        ExportHeader.units(selection.offsetNames) ?? []
    }

    func filter() throws -> AnnotationFilter {
        do {
            return AnnotationFilter(
                project: try selection.project.map { try ProjectID($0) }, documents: try selection.documents.map { try DocumentID($0) },
                label: selection.label, author: selection.author, status: selection.status.flatMap(ReviewStatus.init(rawValue:)),
                changedSince: selection.changedAfter.flatMap(ExportHeader.time), includeDeleted: selection.includeDeleted, onlyConflicted: selection.conflicted
            )
        } catch let error as CoreError {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var (asked, units, cursor) = (try filter(), units(), try selection.since.map { try ExportCursor($0) })
        _ = try store.database()
        let file: ExportFile
        var resumed: ExportResume?
        do {
            if selection.resume, let output = selection.output {
                let found = try ExportResume(destination: output)
                (asked, units, cursor, resumed) = (found.filter, found.units, found.since, found)
                file = try ExportFile(resuming: found.partial, destination: output)
                let kept = found.resumption.kept
                StandardError.write("glossd: resuming \(found.partial) after \(kept) annotation\(kept == 1 ? "" : "s")\n")
            } else {
                file = try ExportFile(path: selection.output)
            }
        } catch {
            throw usage("\(error)")
        }
        let writer = ExportWriter(format: selection.format, units: units, file: file)
        let (filter, since, resumeFrom) = (asked, cursor, resumed?.resumption)
        do {
            let summary = try await store.withStore { store in
                try await store.checkExists(filter)
                return try await writer.run(store, filter: filter, since: since, resume: resumeFrom)
            }
            try file.finish()
            StandardError.write("glossd: exported \(summary.count) annotation\(summary.count == 1 ? "" : "s")\(selection.output.map { " to \($0)" } ?? "")\ncursor: \(summary.cursor)\n")
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
        guard selection.format == .jsonl, !file.isEmpty, let partial = file.partialPath, let output = selection.output else { return false }
        file.suspend()
        StandardError.write("glossd: the export was interrupted; \(partial) keeps what was written: go on with glossd export --resume --output \(output)\n")
        return true
    }
}
