public import Foundation
public import GlossProtocol

/// A write whose outcome is not known yet, kept in the ``WriteJournal`` until the
/// server answers it: its request exactly as first sent (so every re-send is the
/// same request under the same idempotency key, and the server applies it once).
public struct PendingWrite: Codable, Hashable, Sendable {
    /// The idempotency key it is sent with, every time.
    public let key: String
    /// The request, printed canonically with tag `-` and without its key.
    public let request: String
    /// The server (`HOST:PORT`) it is meant for.
    public let server: String
    /// What the person asked for, for `gloss pending` (such as `add article --quote "…"`).
    public let summary: String
    /// When it was first written down.
    public let created: Date
    /// How many times it was tried (connecting or sending).
    public var attempts: Int
    /// The last reason it was not answered (`unavailable: …`).
    public var lastError: String?
    /// The server's answer (its `OK` line), once a later command got it.
    public var answer: String?
    /// When the answer came.
    public var answered: Date?

    /// A new pending write of `request` for `server`.
    public init(key: String, request: Request, server: String, summary: String, created: Date = Date()) {
        self.key = key
        self.request = Self.identity(of: request)
        self.server = server
        self.summary = summary
        self.created = created
        attempts = 0
    }

    /// The request to send again, with `tag` and the key.
    ///
    /// - Throws: ``ProtocolError`` when the stored text is not a request (a damaged journal file).
    public func request(tag: String) throws(ProtocolError) -> Request {
        var request = try Request(parsing: try LineParser.parse(self.request))
        request.tag = tag
        request.key = key
        return request
    }

    /// What makes two writes the same request: its canonical line with tag `-` and no key.
    /// Running a command again while its first attempt is pending sends the pending one.
    public static func identity(of request: Request) -> String {
        var bare = request
        bare.tag = "-"
        bare.key = nil
        return LinePrinter.print(bare.line)
    }
}
