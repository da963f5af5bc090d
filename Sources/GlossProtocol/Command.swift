public import GlossCore

/// A client request: its tag, what it asks for, and an optional idempotency key.
public struct Request: Hashable, Sendable {
    /// The client's tag, echoed on the final reply.
    public var tag: String
    /// What the request asks for.
    public var command: Command
    /// For writes: a key the client chooses so that a retried request is applied once.
    public var key: String?
    /// For edits of an existing annotation: the `rev=` of the annotation as the
    /// client last showed it. Only values in it are replaced; writes the client
    /// had not seen stay, as a conflict. Without it, the edit replaces what the
    /// server holds.
    public var revision: [Dot]?

    /// Creates a request.
    public init(tag: String, command: Command, key: String? = nil, revision: [Dot]? = nil) {
        self.tag = tag
        self.command = command
        self.key = key
        self.revision = revision
    }
}

/// What a request asks the server to do, with its arguments checked.
public enum Command: Hashable, Sendable {
    /// `HELLO version=1[,2…]`: the versions the client speaks.
    case hello(versions: [Int])
    /// `AUTH token=…`.
    case auth(token: String)
    /// `PING`.
    case ping
    /// `WHOAMI`.
    case whoami
    /// `QUIT`.
    case quit
    /// `DOC-PUT project=… [id=…] title=… text=…`.
    case putDocument(DocumentUpload)
    /// `DOC-GET id=… [project=…]`.
    case getDocument(DocumentReference)
    /// `DOC-LIST project=…`.
    case listDocuments(ProjectID)
    /// `ADD doc=… [project=…] (start=… end=… | quote=… [occurrence=…]) [label=…] [note=…] [tag=…]…`.
    case add(NewAnnotation)
    /// `GET id=…`.
    case get(AnnotationID)
    /// `LIST [filters]`.
    case list(AnnotationQuery)
    /// `CONFLICTS [filters]`.
    case conflicts(AnnotationQuery)
    /// `SET id=… [start=… end=… | quote=…] [label=…] [note=…]`: one or more fields, applied together.
    case set(AnnotationID, [Edit])
    /// `RESOLVE id=… (start=… end=… | quote=… | label=… | note=… | status=… [comment=…])`.
    case resolve(AnnotationID, Edit)
    /// `TAG id=… tag=…[ tag=…]`.
    case tag(AnnotationID, [String])
    /// `UNTAG id=… tag=…[ tag=…]`.
    case untag(AnnotationID, [String])
    /// `DELETE id=…`.
    case delete(AnnotationID)
    /// `RESTORE id=…`.
    case restore(AnnotationID)
    /// `REVIEW id=… status=(open|accepted|rejected) [comment=…]`.
    case review(AnnotationID, Review)
    /// `SUBSCRIBE (doc=… [project=…] | project=…)`.
    case subscribe(SubscriptionScope)
    /// `UNSUBSCRIBE sub=…`.
    case unsubscribe(Int)
    /// `DIGESTS`: `* DIGEST doc=project/document digest=…` per document, for a peer site comparing states.
    case digests
    /// `STATUS`: the server's site and each peer site's link (`* PEER` lines).
    case status
    /// `PEER version=…`: the connection becomes a replication link speaking peer messages.
    case peer(version: Int)
    /// `EXPORT [project=…] [doc=…]… [filters] [format=…] [offsets=…] [since=…] [after=… as-of=…]`.
    case export(ExportQuery)
    /// `IMPORT record=JSON [project=…] [doc=…]`: one annotation record, a Gloss JSON Lines
    /// line or a W3C Web Annotation; `project=` and `doc=` place records that do not name
    /// their document. Answered `OK id=… result=created|reviewed|unchanged placement=… start=… end=… [differs=…]`.
    case `import`(record: String, project: ProjectID?, document: DocumentID?)

    /// Whether the command edits an existing annotation (and so takes `rev=`).
    public var editsAnnotation: Bool {
        switch self {
        case .set, .resolve, .tag, .untag, .delete, .restore, .review: true
        default: false
        }
    }

    /// The verb of the command.
    public var verb: Verb {
        switch self {
        case .hello: .hello
        case .auth: .auth
        case .ping: .ping
        case .whoami: .whoami
        case .quit: .quit
        case .putDocument: .putDocument
        case .getDocument: .getDocument
        case .listDocuments: .listDocuments
        case .add: .add
        case .get: .get
        case .list: .list
        case .conflicts: .conflicts
        case .set: .set
        case .resolve: .resolve
        case .tag: .tag
        case .untag: .untag
        case .delete: .delete
        case .restore: .restore
        case .review: .review
        case .subscribe: .subscribe
        case .unsubscribe: .unsubscribe
        case .peer: .peer
        case .status: .status
        case .digests: .digests
        case .export: .export
        case .import: .import
        }
    }
}

/// A document sent with `DOC-PUT`.
public struct DocumentUpload: Hashable, Sendable {
    /// The project it belongs to.
    public var project: ProjectID
    /// Its id; derived from the title when absent.
    public var id: DocumentID?
    /// Its title.
    public var title: String
    /// Its text.
    public var text: String

    /// Creates an upload.
    public init(project: ProjectID, id: DocumentID?, title: String, text: String) {
        self.project = project
        self.id = id
        self.title = title
        self.text = text
    }
}

/// A document as a client names it: its id and, when the client says, its project.
///
/// Document ids are unique within a project. Without a project, the server
/// looks for the id among the projects the user may see, and asks for
/// `project=` when more than one holds it.
public struct DocumentReference: Hashable, Sendable, CustomStringConvertible {
    /// The document's id.
    public var id: DocumentID
    /// Its project, when the client names it.
    public var project: ProjectID?

    /// Names a document.
    public init(_ id: DocumentID, in project: ProjectID? = nil) {
        self.id = id
        self.project = project
    }

    /// `project/id`, or the id alone.
    public var description: String { project.map { "\($0)/\(id)" } ?? id.rawValue }
}

/// Where a span goes: code-point offsets, or a quote found in the text.
public enum SpanTarget: Hashable, Sendable {
    /// Half-open `[start, end)` in Unicode code points.
    case offsets(start: Int, end: Int)
    /// The `occurrence`-th (1-based) appearance of `quote`; required when it appears more than once.
    case quote(String, occurrence: Int?)
}

/// One field's new value, as a client states it.
public enum Edit: Hashable, Sendable {
    /// A new span.
    case span(SpanTarget)
    /// A new label.
    case label(String)
    /// A new note.
    case note(String)
    /// A review decision (only in `RESOLVE`; `REVIEW` records decisions).
    case review(Review)

    /// The field the edit writes.
    public var field: Field {
        switch self {
        case .span: .span
        case .label: .label
        case .note: .note
        case .review: .review
        }
    }
}

/// An annotation to create.
public struct NewAnnotation: Hashable, Sendable {
    /// The document annotated.
    public var document: DocumentReference
    /// Where it points.
    public var target: SpanTarget
    /// Its label (empty for none).
    public var label: String
    /// Its note (empty for none).
    public var note: String
    /// Its tags.
    public var tags: [String]

    /// Creates one.
    public init(document: DocumentReference, target: SpanTarget, label: String = "", note: String = "", tags: [String] = []) {
        self.document = document
        self.target = target
        self.label = label
        self.note = note
        self.tags = tags
    }
}

/// Filters of `LIST` and `CONFLICTS`, and where a page starts.
public struct AnnotationQuery: Hashable, Sendable {
    /// The largest page a client may ask for.
    public static let maximumLimit = 1_000
    /// The page size when the client names none.
    public static let defaultLimit = 200

    /// Only this project's annotations.
    public var project: ProjectID?
    /// Only these documents' annotations (any of them).
    public var documents: [DocumentID]
    /// Only this label.
    public var label: String?
    /// Only annotations last written by this author.
    public var author: String?
    /// Only this review status.
    public var status: ReviewStatus?
    /// Only annotations changed after this hybrid logical timestamp.
    public var since: UInt64?
    /// Include deleted annotations.
    public var includeDeleted: Bool
    /// Start after this cursor (from a previous page's `next=`).
    public var after: Int64
    /// Most annotations in the page.
    public var limit: Int

    /// Creates a query; with no arguments, every visible annotation, first page.
    public init(
        project: ProjectID? = nil, documents: [DocumentID] = [], label: String? = nil, author: String? = nil,
        status: ReviewStatus? = nil, since: UInt64? = nil, includeDeleted: Bool = false, after: Int64 = 0,
        limit: Int = defaultLimit
    ) {
        self.project = project
        self.documents = documents
        self.label = label
        self.author = author
        self.status = status
        self.since = since
        self.includeDeleted = includeDeleted
        self.after = after
        self.limit = limit
    }
}

/// What a subscription follows.
public enum SubscriptionScope: Hashable, Sendable {
    /// One document's annotations.
    case document(DocumentReference)
    /// Every annotation in a project.
    case project(ProjectID)
}
