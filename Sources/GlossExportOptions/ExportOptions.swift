public import ArgumentParser
public import GlossExport
import GlossCore
import Foundation

extension ExportFormat: ExpressibleByArgument {}

/// The flags `gloss export` and `glossd export` share, with the checks they share:
/// the format and output, the filter, the offset units, the incremental cursor and
/// `--resume`. Each command adds its own (where the annotations are read from).
public struct ExportOptions: ParsableArguments {
    @Option(help: "jsonl (JSON Lines, gloss.export/1), w3c (W3C Web Annotation JSON-LD: an AnnotationCollection in pages), csv (RFC 4180), brat (standoff .txt and .ann per document, in a tar file) or html (a self-contained review report).")
    public var format: ExportFormat = .jsonl

    @Option(name: [.customShort("o"), .long], help: "The file to write (default: standard output).")
    public var output: String?

    @Option(help: "Only this project's annotations.")
    public var project: String?

    @Option(name: [.customLong("document"), .customLong("doc")], help: "Only this document's annotations (repeatable).")
    public var documents: [String] = []

    @Option(help: "Only annotations with this label.")
    public var label: String?

    @Option(help: "Only annotations whose latest field write is by this author.")
    public var author: String?

    @Option(help: "Only annotations with this review status: open, accepted or rejected.")
    public var status: String?

    @Option(help: "Only annotations changed after this time, RFC 3339 as exports print it: 2026-12-04T09:30:00Z, 2026-12-04T09:30:00.250+01:00.")
    public var changedAfter: String?

    @Flag(help: "Only annotations with an unresolved conflict (a field written concurrently, or a deletion that met an edit).")
    public var conflicted = false

    @Flag(help: "Include deleted annotations (an export --since always does).")
    public var includeDeleted = false

    @Option(help: "Only what changed after this cursor (printed by an earlier export).")
    public var since: String?

    @Option(help: "Offsets in other units besides code points: utf16, utf8 or utf16,utf8.")
    public var offsets: String?

    @Flag(help: "Go on with an interrupted JSON Lines export to --output, with the filter it began with.")
    public var resume = false

    public init() {}

    /// The checks both commands make before anything is read.
    ///
    /// - Throws: `ValidationError` naming the flag.
    public func validate() throws {
        if resume {
            guard output != nil, format == .jsonl else { throw ValidationError("--resume needs --output FILE of a JSON Lines export (the format that can be resumed)") }
            guard project == nil, documents.isEmpty, label == nil, author == nil, status == nil, changedAfter == nil, !conflicted, !includeDeleted, since == nil,
                offsets == nil
            else {
                throw ValidationError("--resume takes the filter and offsets from the interrupted export's header; give only --output")
            }
        }
        if let status, !["open", "accepted", "rejected"].contains(status) { throw ValidationError("--status must be open, accepted or rejected") }
        if let changedAfter, Self.time(changedAfter) == nil {
            throw ValidationError("--changed-after takes an RFC 3339 time such as 2026-12-04T09:30:00Z; \(Excerpt.quoted(changedAfter)) is not one")
        }
        if let offsets {
            guard offsetNames.allSatisfy({ $0 == "utf16" || $0 == "utf8" }) else {
                throw ValidationError("--offsets takes utf16, utf8 or utf16,utf8; \(Excerpt.quoted(offsets)) is not that")
            }
            guard format.takesOtherOffsetUnits else {
                throw ValidationError("--offsets applies to jsonl and csv: W3C, brat and HTML offsets count code points, as those formats say")
            }
        }
        if !format.marksDeletions, since != nil || includeDeleted {
            throw ValidationError("\(format.rawValue) shows annotations as they stand: --since and --include-deleted need jsonl, w3c or csv, which mark deletions")
        }
    }

    /// `--offsets` split at commas (empty when not given).
    public var offsetNames: [String] {
        offsets.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
    }

    /// An RFC 3339 time (with or without fractional seconds, any offset) as milliseconds since
    /// 1970; nil when it is not one or is before 1970.
    public static func time(_ text: String) -> UInt64? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text), date.timeIntervalSince1970 >= 0 else { return nil }
        return UInt64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
