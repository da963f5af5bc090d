public import GlossCore

/// An error from the store, with a stable code. ``isRetryable`` tells a caller
/// whether trying again later can succeed (the database was unreachable).
public struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable error code.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as written on the wire and in logs.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// PostgreSQL cannot be reached or dropped the connection; retry later.
        public static let unavailable = Code("unavailable")
        /// The operation or value was refused by the core's validation.
        public static let invalid = Code("invalid")
        /// A document with this id exists with different content.
        public static let documentExists = Code("document-exists")
        /// A stored migration differs from the file shipped with this build.
        public static let migrationTampered = Code("migration-tampered")
        /// The database was migrated by a newer build than this one.
        public static let databaseNewer = Code("database-newer")
        /// The database schema is older than this build; run `glossd migrate`.
        public static let schemaOutdated = Code("schema-outdated")
        /// Stored data could not be decoded, or the database did something unexpected.
        public static let internalError = Code("internal")
        /// An idempotency key was used before for a different request.
        public static let keyReused = Code("key-reused")
        /// PostgreSQL refused to store a value of the request (a data exception or a
        /// constraint); nothing was written. Other requests committed with it are unaffected.
        public static let invalidValue = Code("invalid-value")
        /// The thing named does not exist.
        public static let notFound = Code("not-found")
        /// Something with that name exists already.
        public static let alreadyExists = Code("already-exists")
        /// An export cursor is malformed, or names another database or a snapshot this
        /// database has not reached (it was restored from an older backup): export in full.
        public static let invalidCursor = Code("invalid-cursor")
    }

    /// The stable code.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The core error behind an ``Code/invalid`` error.
    public let coreError: CoreError?

    init(_ code: Code, _ message: String, coreError: CoreError? = nil) {
        self.code = code
        self.message = message
        self.coreError = coreError
    }

    /// Wraps a validation error from the core.
    public init(_ error: CoreError) {
        self.init(.invalid, error.message, coreError: error)
    }

    /// Whether the same call may succeed later.
    public var isRetryable: Bool { code == .unavailable }

    public var description: String { "\(coreError?.code.rawValue ?? code.rawValue): \(message)" }
}
