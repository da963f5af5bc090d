public import GlossCore

/// What `EXPORT` asks for: the filter, the format and offset units, an incremental
/// cursor, and where a resumed export goes on from: `as-of=` the interrupted export's
/// cursor, `after=` the last annotation it wrote (none when it wrote none), `kept=` how
/// many it wrote.
///
/// The server checks the format, the offset units, the times and the cursors
/// (`bad-argument`, `invalid-cursor`); this type only reads them off the line.
///
/// The reply streams, every line tagged with the request's tag (an export's lines
/// interleave with other requests' replies on the connection): `tag EXPORTING
/// total=N` once (annotations in all), then `tag CHUNK count=K data=BASE64` lines carrying the
/// format's bytes in order (`count` is the annotations written so far), then
/// `tag OK count=N cursor=…`, or `tag ERR code "…"` when it fails midway.
public struct ExportQuery: Hashable, Sendable {
    /// The format's name: jsonl, w3c, csv, brat or html.
    public var format: String
    /// Only this project (the user's only project when absent).
    public var project: ProjectID?
    /// Only these documents (in `project`).
    public var documents: [DocumentID]
    /// Only this label.
    public var label: String?
    /// Only annotations whose latest field write is by this author.
    public var author: String?
    /// Only this review status.
    public var status: ReviewStatus?
    /// Only annotations changed after this RFC 3339 time.
    public var changedAfter: String?
    /// Only annotations with an unresolved conflict.
    public var conflicted: Bool
    /// Include deleted annotations.
    public var includeDeleted: Bool
    /// Only what changed after this export cursor.
    public var since: String?
    /// Offset units besides code points: `utf16`, `utf8`.
    public var offsets: [String]
    /// Resuming: the position of the last annotation already written (`project/document/start/id`).
    public var after: String?
    /// Resuming: the cursor of the snapshot the interrupted export began with.
    public var asOf: String?
    /// Resuming: how many annotations the interrupted export wrote (its end line counts them).
    public var kept: Int

    /// Creates a query; with no arguments, the user's only project in JSON Lines.
    public init(
        format: String = "jsonl", project: ProjectID? = nil, documents: [DocumentID] = [], label: String? = nil, author: String? = nil,
        status: ReviewStatus? = nil, changedAfter: String? = nil, conflicted: Bool = false, includeDeleted: Bool = false, since: String? = nil,
        offsets: [String] = [], after: String? = nil, asOf: String? = nil, kept: Int = 0
    ) {
        self.format = format
        self.project = project
        self.documents = documents
        self.label = label
        self.author = author
        self.status = status
        self.changedAfter = changedAfter
        self.conflicted = conflicted
        self.includeDeleted = includeDeleted
        self.since = since
        self.offsets = offsets
        self.after = after
        self.asOf = asOf
        self.kept = kept
    }

    /// The word of the line that opens an export's stream.
    public static let openingWord = "EXPORTING"
    /// The word of the lines that carry its bytes.
    public static let chunkWord = "CHUNK"
    /// The most bytes of the format one `CHUNK` line carries (before base64).
    public static let chunkBytes = 48 * 1024

    init(_ reader: inout ArgumentReader) throws(ProtocolError) {
        let documents = try reader.documents()
        let status = try reader.status()
        let offsets = try reader.optional("offsets").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) } ?? []
        self.init(
            format: try reader.optional("format") ?? "jsonl", project: try reader.identifier("project", ProjectID.init), documents: documents,
            label: try reader.optional("label"), author: try reader.optional("author"), status: status, changedAfter: try reader.optional("changed-after"),
            conflicted: try reader.flag("conflicted") ?? false, includeDeleted: try reader.flag("deleted") ?? false, since: try reader.optional("since"),
            offsets: offsets, after: try reader.optional("after"), asOf: try reader.optional("as-of"), kept: try reader.integer("kept", in: 0...Int.max) ?? 0
        )
        guard asOf != nil || (after == nil && kept == 0) else {
            throw ProtocolError(.badArgument, "after= and kept= resume an export and need as-of= (gloss export --resume sends them)")
        }
    }

    /// The query's arguments, as ``init(_:)`` reads them back.
    var arguments: [Argument] {
        var arguments: [Argument] = []
        func add(_ key: String, _ value: String?) {
            if let value { arguments.append(.named(key: key, value: value)) }
        }
        if format != "jsonl" { add("format", format) }
        add("project", project?.rawValue)
        for document in documents { add("doc", document.rawValue) }
        add("label", label)
        add("author", author)
        add("status", status?.rawValue)
        add("changed-after", changedAfter)
        if conflicted { add("conflicted", "yes") }
        if includeDeleted { add("deleted", "yes") }
        add("since", since)
        if !offsets.isEmpty { add("offsets", offsets.joined(separator: ",")) }
        add("after", after)
        add("as-of", asOf)
        if kept > 0 { add("kept", String(kept)) }
        return arguments
    }
}
