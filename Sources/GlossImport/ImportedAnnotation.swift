public import GlossCore
import Crypto

/// An annotation read from an import file (a Gloss JSON Lines record, or a W3C
/// Web Annotation from Gloss or another tool), before it is anchored in its
/// document: whatever the file says, each part optional where files may leave it out.
public struct ImportedAnnotation: Hashable, Sendable {
    /// Who wrote a shown value, and when.
    public struct Provenance: Hashable, Sendable {
        public var author: String
        public var time: HLCTimestamp

        public init(author: String, time: HLCTimestamp) {
            self.author = author
            self.time = time
        }
    }

    /// A concurrent value that lost, as JSON Lines `conflicts` lists it.
    public struct Conflict: Hashable, Sendable {
        /// The value: a span's offsets (code points) and quote, a label or note, or a review.
        public enum Value: Hashable, Sendable {
            case span(start: Int, end: Int, exact: String)
            case text(String)
            case review(Review)
        }

        public var field: Field
        public var value: Value
        public var provenance: Provenance

        public init(field: Field, value: Value, provenance: Provenance) {
            self.field = field
            self.value = value
            self.provenance = provenance
        }
    }

    /// The annotation's id when the file gives a Gloss one (a UUID, or `urn:uuid:…`).
    public var id: AnnotationID?
    /// The file's own id for it when that is not a Gloss id (another tool's IRI).
    public var sourceID: String?
    /// The document's project and id, when the file names them.
    public var project: ProjectID?
    public var document: DocumentID?
    /// The span in code points, half-open, when the file gives offsets.
    public var start: Int?
    public var end: Int?
    /// The quote and its context (TextQuoteSelector); empty when not given.
    public var exact = ""
    public var prefix = ""
    public var suffix = ""
    public var label = ""
    public var note = ""
    public var tags: [String] = []
    /// The review decision; nil when the file says nothing of it (another tool's file), which
    /// leaves an existing annotation's decision alone and starts a new one open.
    public var review: Review?
    /// Who created it and when; nil when the file does not say.
    public var creator: String?
    public var created: HLCTimestamp?
    /// When it last changed; nil when the file does not say.
    public var updated: HLCTimestamp?
    /// Who wrote each shown field value, and when (JSON Lines `fields`).
    public var fields: [Field: Provenance] = [:]
    /// Concurrent values that lost.
    public var conflicts: [Conflict] = []
    public var deleted = false
    public var deleteConflict = false

    public init() {}
}

extension ImportedAnnotation {
    /// The id of an annotation whose file gives no Gloss id: a version-8 UUID (RFC 9562)
    /// from the SHA-256 of its document and its own id in the file (another tool's IRI),
    /// or, without one, of its offsets, quote, label and note. Importing the same file
    /// again so finds the same annotations.
    public func derivedID(on document: DocumentKey) -> AnnotationID {
        let identity = sourceID.map { "id\u{0}\($0)" } ?? "content\u{0}\(start ?? -1)\u{0}\(end ?? -1)\u{0}\(exact)\u{0}\(label)\u{0}\(note)"
        let digest = Array(SHA256.hash(data: Array("gloss-import\u{0}\(document.project.rawValue)\u{0}\(document.document.rawValue)\u{0}\(identity)".utf8)))
        let high = digest[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let low = digest[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return AnnotationID(high: (high & ~UInt64(0xF000)) | 0x8000, low: (low & ~(UInt64(0xC) << 60)) | (UInt64(0x8) << 60))
    }
}
