/// An error in a protocol line, with a stable code the server sends back.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A stable error code, as sent in `ERR` replies.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code as written on the wire.
        public let rawValue: String
        init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The line is longer than the limit.
        public static let lineTooLong = Code("line-too-long")
        /// The line is not valid UTF-8.
        public static let invalidUTF8 = Code("invalid-utf8")
        /// The line does not follow the grammar (tag, verb, arguments).
        public static let malformed = Code("malformed")
        /// The verb is not one the server knows.
        public static let unknownVerb = Code("unknown-verb")
        /// An argument is missing, repeated, unknown or of the wrong form.
        public static let badArgument = Code("bad-argument")
    }

    /// The stable code.
    public let code: Code
    /// What is wrong, for a person.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
