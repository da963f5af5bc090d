import GlossCore

/// The untagged line the server sends first: `* GLOSS version=1 versions=1 …`,
/// naming the protocol versions it speaks, its replica and its limits.
public struct Greeting: Hashable, Sendable {
    /// The word of the greeting line.
    public static let word = "GLOSS"
    /// The protocol version this module speaks.
    public static let currentVersion = 1
    /// Every version this module speaks.
    public static let supportedVersions = [1]

    /// The versions the server speaks.
    public var versions: [Int]
    /// The server's replica id.
    public var replica: String
    /// Longest line accepted, in bytes.
    public var maximumLineBytes: Int
    /// Largest document text accepted, in bytes of UTF-8.
    public var maximumDocumentBytes: Int
    /// Most requests in flight on one connection.
    public var maximumInFlight: Int
    /// Seconds a new session has to authenticate.
    public var authenticationTimeoutSeconds: Int
    /// Seconds of silence after which the server closes a session.
    public var idleTimeoutSeconds: Int

    /// Creates a greeting.
    public init(
        versions: [Int] = supportedVersions, replica: String, maximumLineBytes: Int, maximumDocumentBytes: Int, maximumInFlight: Int,
        authenticationTimeoutSeconds: Int, idleTimeoutSeconds: Int
    ) {
        self.versions = versions
        self.replica = replica
        self.maximumLineBytes = maximumLineBytes
        self.maximumDocumentBytes = maximumDocumentBytes
        self.maximumInFlight = maximumInFlight
        self.authenticationTimeoutSeconds = authenticationTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }

    /// The greeting line.
    public var line: Line {
        Line(
            tag: Line.untagged, word: Self.word,
            arguments: [
                .named(key: "version", value: String(versions.max() ?? Self.currentVersion)),
                .named(key: "versions", value: versions.map(String.init).joined(separator: ",")),
                .named(key: "server", value: "glossd"),
                .named(key: "replica", value: replica),
                .named(key: "max-line", value: String(maximumLineBytes)),
                .named(key: "max-document", value: String(maximumDocumentBytes)),
                .named(key: "max-in-flight", value: String(maximumInFlight)),
                .named(key: "auth-timeout", value: String(authenticationTimeoutSeconds)),
                .named(key: "idle-timeout", value: String(idleTimeoutSeconds)),
                .named(key: "caps", value: "pipeline,subscribe,idempotency"),
            ]
        )
    }

    /// Reads a greeting line.
    public init(line: Line) throws(ProtocolError) {
        guard line.isUntagged, line.word == Self.word, let versions = line["versions"]?.split(separator: ",").compactMap({ Int($0) }),
            !versions.isEmpty
        else {
            throw ProtocolError(.malformed, "this is not a Gloss server: it greeted with \(Excerpt.quoted(line.description))")
        }
        func number(_ key: String) -> Int { line[key].flatMap { Int($0) } ?? 0 }
        self.init(
            versions: versions, replica: line["replica"] ?? "", maximumLineBytes: number("max-line"), maximumDocumentBytes: number("max-document"),
            maximumInFlight: number("max-in-flight"), authenticationTimeoutSeconds: number("auth-timeout"),
            idleTimeoutSeconds: number("idle-timeout")
        )
    }
}
