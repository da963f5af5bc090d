/// Where the PostgreSQL database is and how to log in.
public struct DatabaseConfiguration: Sendable, Hashable {
    /// Host name or IP address (TCP), ignored when ``unixSocketPath`` is set.
    public var host: String
    /// TCP port.
    public var port: Int
    /// A Unix socket path to connect through instead of TCP.
    public var unixSocketPath: String?
    /// Role to log in as.
    public var username: String
    /// Password, if the server asks for one.
    public var password: String?
    /// Database name.
    public var database: String
    /// Most connections the store opens.
    public var maximumConnections: Int

    /// A TCP configuration.
    public init(
        host: String = "127.0.0.1", port: Int = 5432, unixSocketPath: String? = nil, username: String = "gloss",
        password: String? = nil, database: String = "gloss", maximumConnections: Int = 8
    ) {
        self.host = host
        self.port = port
        self.unixSocketPath = unixSocketPath
        self.username = username
        self.password = password
        self.database = database
        self.maximumConnections = maximumConnections
    }

    /// Parses `postgres://user[:password]@host[:port]/database` (also `postgresql://`).
    ///
    /// - Throws: ``StoreError/Code/invalid`` for anything else.
    public init(url: String) throws(StoreError) {
        let invalid = StoreError(.invalid, "database URL '\(url)' is not of the form postgres://user[:password]@host[:port]/database")
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") { rest = rest.dropFirst("postgres://".count) }
        else if rest.hasPrefix("postgresql://") { rest = rest.dropFirst("postgresql://".count) }
        else { throw invalid }
        guard let at = rest.lastIndex(of: "@"), let slash = rest[at...].firstIndex(of: "/") else { throw invalid }
        let credentials = rest[..<at].split(separator: ":", maxSplits: 1).map(String.init)
        let address = rest[rest.index(after: at)..<slash]
        let database = String(rest[rest.index(after: slash)...])
        guard let user = credentials.first, !user.isEmpty, !database.isEmpty, !address.isEmpty else { throw invalid }
        let hostAndPort = address.split(separator: ":", maxSplits: 1).map(String.init)
        var port = 5432
        if hostAndPort.count == 2 {
            guard let parsed = Int(hostAndPort[1]), (1...65535).contains(parsed) else { throw invalid }
            port = parsed
        }
        self.init(host: hostAndPort[0], port: port, username: user, password: credentials.count == 2 ? credentials[1] : nil, database: database)
    }

    /// The URL form, without the password.
    public var redactedURL: String { "postgres://\(username)@\(host):\(port)/\(database)" }
}
