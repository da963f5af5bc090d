import Crypto
/// Validation shared by the slug-like identifiers of Gloss.
enum IdentifierRules {
    /// Whether `value` is 1...`maxLength` characters drawn from ASCII letters,
    /// digits, `-`, `_` and `.`, starting with a letter or digit.
    static func isSlug(_ value: String, maxLength: Int) -> Bool {
        let bytes = value.utf8
        guard let first = bytes.first, bytes.count <= maxLength, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    static func validateSlug(_ value: String, kind: String, maxLength: Int) throws(CoreError) {
        guard isSlug(value, maxLength: maxLength) else {
            throw CoreError(
                .invalidIdentifier,
                "\(kind) \(Excerpt.quoted(value)) is not valid: use 1 to \(maxLength) letters, digits, '-', '_' or '.', starting with a letter or digit"
            )
        }
    }
}

/// The stable identity of one Gloss server (one replica of the data).
///
/// Replica ids break ties between concurrent writes with equal timestamps, so
/// every replica orders them the same way.
public struct ReplicaID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest replica id accepted.
    public static let maximumLength = 64
    /// The id as text.
    public let rawValue: String

    /// Validates and wraps a replica id.
    public init(_ rawValue: String) throws(CoreError) {
        try IdentifierRules.validateSlug(rawValue, kind: "replica id", maxLength: Self.maximumLength)
        self.rawValue = rawValue
    }

    init(unchecked rawValue: String) { self.rawValue = rawValue }

    public static func < (lhs: ReplicaID, rhs: ReplicaID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// The id of a document: a slug the user gives or one derived from the title.
public struct DocumentID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest document id accepted.
    public static let maximumLength = 128
    /// The id as text.
    public let rawValue: String

    /// Validates and wraps a document id.
    public init(_ rawValue: String) throws(CoreError) {
        try IdentifierRules.validateSlug(rawValue, kind: "document id", maxLength: Self.maximumLength)
        self.rawValue = rawValue
    }

    init(unchecked rawValue: String) { self.rawValue = rawValue }

    /// Derives an id for a document stored without one: a slug of its title
    /// (lower-case ASCII letters and digits; other runs of characters become a
    /// single `-`), or, when the title has no ASCII letter or digit (東京, Москва,
    /// an empty title), `doc-` and the first 12 hex digits of the text's SHA-256,
    /// so that different texts get different ids and the same text the same one.
    public static func derived(fromTitle title: String, text: String) -> DocumentID {
        derived(fromTitle: title) ?? DocumentID(unchecked: "doc-" + Hex.encode(SHA256.hash(data: Array(text.utf8))).prefix(12))
    }

    /// The slug of a title, nil when nothing is left of it.
    static func derived(fromTitle title: String) -> DocumentID? {
        var slug = ""
        var pendingDash = false
        for scalar in title.unicodeScalars {
            if scalar.isASCII, IdentifierRules.isAlphanumeric(UInt8(scalar.value)) {
                if pendingDash, !slug.isEmpty { slug.append("-") }
                pendingDash = false
                slug.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value)).lowercasedASCII)
                if slug.utf8.count >= maximumLength { break }
            } else {
                pendingDash = true
            }
        }
        return slug.isEmpty ? nil : DocumentID(unchecked: slug)
    }

    public static func < (lhs: DocumentID, rhs: DocumentID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

/// The id of a project, the unit that roles are granted on.
public struct ProjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The longest project id accepted.
    public static let maximumLength = 64
    /// The id as text.
    public let rawValue: String

    /// Validates and wraps a project id.
    public init(_ rawValue: String) throws(CoreError) {
        try IdentifierRules.validateSlug(rawValue, kind: "project id", maxLength: Self.maximumLength)
        self.rawValue = rawValue
    }

    public static func < (lhs: ProjectID, rhs: ProjectID) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

extension Unicode.Scalar {
    fileprivate var lowercasedASCII: Unicode.Scalar {
        (UInt32(UInt8(ascii: "A"))...UInt32(UInt8(ascii: "Z"))).contains(value) ? Unicode.Scalar(UInt8(value + 32)) : self
    }
}

/// A document's full identity: document ids are unique within their project,
/// so two projects may each hold a document `article` and never see each other's.
public struct DocumentKey: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The project holding the document.
    public let project: ProjectID
    /// The document's id within the project.
    public let document: DocumentID

    /// Names the document `document` of `project`.
    public init(project: ProjectID, document: DocumentID) {
        self.project = project
        self.document = document
    }

    public static func < (lhs: DocumentKey, rhs: DocumentKey) -> Bool { (lhs.project, lhs.document) < (rhs.project, rhs.document) }

    /// `project/document`.
    public var description: String { "\(project)/\(document)" }
}
