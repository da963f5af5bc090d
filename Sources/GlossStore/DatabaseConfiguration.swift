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

    /// Parses `postgres://user[:password]@host[:port]/database` (also `postgresql://`;
    /// `%XX` escapes are decoded in the user, password and database; an IPv6 host
    /// is written in brackets, `[::1]`).
    ///
    /// - Throws: ``StoreError/Code/invalid`` saying what is wrong. The message never
    ///   repeats the URL, which may hold a password.
    public init(url: String) throws(StoreError) {
        func invalid(_ reason: String) -> StoreError {
            StoreError(.invalid, "the database URL \(reason); write it as postgres://user[:password]@host[:port]/database")
        }
        var rest = Substring(url)
        if rest.hasPrefix("postgres://") {
            rest = rest.dropFirst("postgres://".count)
        } else if rest.hasPrefix("postgresql://") {
            rest = rest.dropFirst("postgresql://".count)
        } else {
            throw invalid("does not start with postgres:// or postgresql://")
        }
        guard !rest.contains("?"), !rest.contains("#") else { throw invalid("has query parameters or a fragment, which glossd does not read") }
        guard let at = rest.lastIndex(of: "@") else { throw invalid("names no user before '@'") }
        guard let slash = rest[at...].firstIndex(of: "/") else { throw invalid("names no database after the host ('/database')") }
        let credentials = rest[..<at].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let address = rest[rest.index(after: at)..<slash]
        guard let user = Self.percentDecoded(credentials[0]), !user.isEmpty else { throw invalid("names no user, or its user has a malformed %-escape") }
        var password: String?
        if credentials.count == 2 {
            guard let decoded = Self.percentDecoded(credentials[1]) else { throw invalid("has a malformed %-escape in its password") }
            password = decoded
        }
        guard let database = Self.percentDecoded(rest[rest.index(after: slash)...]), !database.isEmpty else {
            throw invalid("names no database after the host, or its database has a malformed %-escape")
        }
        var host = Substring(address)
        var portText: Substring?
        if address.hasPrefix("[") {
            guard let close = address.firstIndex(of: "]") else { throw invalid("opens an IPv6 address with '[' but does not close it") }
            host = address[address.index(after: address.startIndex)..<close]
            let after = address[address.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw invalid("has something other than ':port' after the IPv6 address") }
                portText = after.dropFirst()
            }
        } else if let colon = address.firstIndex(of: ":") {
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
        }
        guard !host.isEmpty else { throw invalid("names no host") }
        var port = 5432
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else { throw invalid("has a port that is not a number from 1 to 65535") }
            port = parsed
        }
        self.init(host: String(host), port: port, username: user, password: password, database: database)
    }

    /// `text` with `%XX` escapes decoded; `nil` when an escape is malformed or the result is not UTF-8.
    private static func percentDecoded(_ text: Substring) -> String? {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next(), let low = iterator.next(), let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(value)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    /// The URL form, without the password.
    public var redactedURL: String { "postgres://\(username)@\(host.contains(":") ? "[\(host)]" : host):\(port)/\(database)" }
}
