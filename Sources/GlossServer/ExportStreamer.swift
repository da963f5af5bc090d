import Foundation
import GlossCore
import GlossExport
import GlossExportJob
import GlossProtocol
import GlossStore
import NIOCore

/// Carries out `EXPORT`: reads one snapshot, renders the format and streams it to
/// the client as `tag CHUNK count=… data=BASE64` lines, waiting whenever more than
/// ``queuedBytesLimit`` bytes are queued for the connection, so an export of any size
/// holds a few chunks in glossd's memory and goes at the pace its client reads.
/// See ``ExportQuery`` for the lines.
struct ExportStreamer {
    let dispatcher: Dispatcher
    let outbox: Outbox
    /// Whether the session is closing (the client went away, or a time-out): the export stops.
    let isClosing: @Sendable () -> Bool
    /// Called when the client has read nothing for ``ServerLimits/idleTimeout``, with the export waiting on it.
    let stalled: @Sendable () -> Void

    /// Bytes queued for the connection past which the export waits.
    static let queuedBytesLimit = 1 << 20

    private var context: ServerContext { dispatcher.context }

    /// The lines still to send once the stream has ended: the final reply.
    func run(_ query: ExportQuery, tag: String) async -> [Line] {
        do throws(ProtocolError) {
            let (filter, since, resume, format, units) = try await checked(query)
            guard context.exports.take() else {
                throw ProtocolError(
                    .tooManyExports, "\(context.limits.maximumExports) exports are running on this server, the limit; retry when one ends"
                )
            }
            defer { context.exports.give() }
            return try await stream(tag: tag, format: format, units: units, filter: filter, since: since, resume: resume)
        } catch {
            return [Reply.error(tag, error)]
        }
    }

    /// The query's values, checked: the project (the user's only one when not named), the
    /// reviewer role there, the documents, format, offset units, time and cursors.
    private func checked(_ query: ExportQuery) async throws(ProtocolError) -> (AnnotationFilter, ExportCursor?, ExportJob.Resumption?, ExportFormat, OffsetUnits) {
        guard let format = ExportFormat(rawValue: query.format) else {
            throw ProtocolError(.badArgument, "format= takes \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")), not \(Excerpt.quoted(query.format))")
        }
        guard let units = ExportHeader.units(query.offsets) else {
            throw ProtocolError(.badArgument, "offsets= takes utf16, utf8 or utf16,utf8")
        }
        if !units.isEmpty, !format.takesOtherOffsetUnits {
            throw ProtocolError(.badArgument, "offsets= applies to jsonl and csv: W3C, brat and HTML offsets count code points, as those formats say")
        }
        if !format.marksDeletions, query.since != nil || query.includeDeleted {
            throw ProtocolError(.badArgument, "\(format.rawValue) shows annotations as they stand: since= and deleted= need jsonl, w3c or csv, which mark deletions")
        }
        var project = query.project
        if project == nil {
            let visible = dispatcher.principal.roles.keys.sorted()
            guard visible.count == 1 else {
                throw ProtocolError(
                    .badArgument, visible.isEmpty ? "you have no role in any project" : "name a project (project=, or --project in gloss): one of \(visible.map(\.rawValue).joined(separator: ", "))"
                )
            }
            project = visible[0]
        }
        guard let project else { throw ProtocolError(.internalError, "no project") }
        try dispatcher.authorize(.export, in: project)
        for document in query.documents {
            _ = try await dispatcher.resolve(DocumentReference(document, in: project), for: .export)
        }
        var changedSince: HLCTimestamp?
        if let text = query.changedAfter {
            guard let time = ExportHeader.time(text) else {
                throw ProtocolError(.badArgument, "changed-after= takes an RFC 3339 time such as 2026-12-04T09:30:00Z, not \(Excerpt.quoted(text))")
            }
            changedSince = time
        }
        let filter = AnnotationFilter(
            project: project, documents: query.documents, label: query.label, author: query.author, status: query.status, changedSince: changedSince,
            includeDeleted: query.includeDeleted, onlyConflicted: query.conflicted
        )
        let since = try query.since.map { text throws(ProtocolError) in try cursor(text, "since=") }
        var resume: ExportJob.Resumption?
        if let asOf = query.asOf {
            guard format == .jsonl else { throw ProtocolError(.badArgument, "only a JSON Lines export can be resumed") }
            var position: ExportPosition?
            if let after = query.after {
                guard let parsed = ExportPosition(after), parsed.document.project == project else {
                    throw ProtocolError(.badArgument, "after= takes the position of the last annotation written, project/document/start/id, in the project exported")
                }
                position = parsed
            }
            resume = ExportJob.Resumption(after: position, asOf: try cursor(asOf, "as-of="), kept: query.kept)
        }
        return (filter, since, resume, format, units)
    }

    private func cursor(_ text: String, _ key: String) throws(ProtocolError) -> ExportCursor {
        do {
            return try ExportCursor(text)
        } catch {
            throw ProtocolError(.invalidCursor, "\(key) \(error.message)")
        }
    }

    /// Streams the export; returns the final reply.
    private func stream(
        tag: String, format: ExportFormat, units: OffsetUnits, filter: AnnotationFilter, since: ExportCursor?, resume: ExportJob.Resumption?
    ) async throws(ProtocolError) -> [Line] {
        var pending: [UInt8] = []
        pending.reserveCapacity(ExportQuery.chunkBytes * 2)
        var sent = 0
        let now = HLCTimestamp(milliseconds: UInt64(Date().timeIntervalSince1970 * 1000), logical: 0)
        do {
            let (count, cursor) = try await ExportJob.run(
                context.store, format: format, units: units, filter: filter, since: since, resume: resume, now: now
            ) { total in
                outbox.send([Line(tag: tag, word: ExportQuery.openingWord, arguments: [.named(key: "total", value: String(total))])])
            } write: { bytes, count in
                pending.append(contentsOf: bytes)
                while pending.count >= ExportQuery.chunkBytes {
                    try await send(pending.prefix(ExportQuery.chunkBytes), count: count, tag: tag)
                    pending.removeFirst(ExportQuery.chunkBytes)
                }
                sent = count
            }
            if !pending.isEmpty { try await send(pending[...], count: sent, tag: tag) }
            return [Reply.ok(tag, [.named(key: "count", value: String(count)), .named(key: "cursor", value: cursor.description)])]
        } catch let error as ProtocolError {
            throw error
        } catch let error as StoreError {
            throw ProtocolError(error)
        } catch let refusal as CSVFormat.Refusal {
            throw ProtocolError(.badArgument, "\(refusal)")
        } catch {
            throw ProtocolError(.internalError, "the export failed: \(error)")
        }
    }

    /// `tag CHUNK count=K data=BASE64` and a line feed, written straight into a buffer: the
    /// bytes ``LinePrinter`` prints for that line (a tag, a count and base64 need no quoting),
    /// without building it as text first.
    static func chunkLine(_ bytes: ArraySlice<UInt8>, count: Int, tag: String) -> ByteBuffer {
        let encoded = Data(bytes).base64EncodedData()
        var buffer = ByteBuffer()
        buffer.reserveCapacity(tag.utf8.count + 32 + encoded.count)
        buffer.writeString("\(tag) \(ExportQuery.chunkWord) count=\(count) data=")
        // An empty value is written `""`, as the grammar requires (the streamer never sends one).
        if encoded.isEmpty { buffer.writeString("\"\"") } else { buffer.writeBytes(encoded) }
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }

    /// Sends one chunk, then waits until the connection's queue is under the limit.
    ///
    /// - Throws: ``ProtocolError/Code/connectionClosed`` when the session closed meanwhile.
    private func send(_ bytes: ArraySlice<UInt8>, count: Int, tag: String) async throws(ProtocolError) {
        guard !isClosing() else { throw ProtocolError(.shuttingDown, "the connection closed during the export") }
        outbox.send(encoded: Self.chunkLine(bytes, count: count, tag: tag))
        // Most chunks find the queue short and go straight on; only a wait is watched for a stalled reader.
        guard outbox.holds(moreThan: Self.queuedBytesLimit) else { return }
        let watch = Task { [stalled, idle = context.limits.idleTimeout] in
            try await Task.sleep(for: idle)
            stalled()
        }
        await outbox.waitUntilDrained(below: Self.queuedBytesLimit)
        watch.cancel()
        guard !isClosing() else { throw ProtocolError(.shuttingDown, "the connection closed during the export") }
    }
}
