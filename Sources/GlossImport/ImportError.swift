/// Why one record of an import file was not imported, with a stable code.
public struct ImportError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `bad-record`: the record is not an annotation this importer reads (a field is missing
    /// or of the wrong form); `unanchorable`: no place in the document fits its offsets and quote.
    public let code: String
    /// What is wrong, in words.
    public let message: String

    public init(_ code: String, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A record that is not an annotation this importer reads.
    public static func badRecord(_ message: String) -> ImportError { ImportError("bad-record", message) }

    /// A record whose offsets and quote fit no place in the document.
    public static func unanchorable(_ message: String) -> ImportError { ImportError("unanchorable", message) }

    public var description: String { "\(code): \(message)" }
}
