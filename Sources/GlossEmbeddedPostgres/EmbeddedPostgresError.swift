/// Why the embedded PostgreSQL cluster could not be set up, started or stopped.
public struct EmbeddedPostgresError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do about it.
    public let message: String
    /// The output of the command that failed, if any.
    public let output: String

    init(_ message: String, output: String = "") {
        self.message = message
        self.output = output
    }

    public var description: String {
        output.isEmpty ? message : "\(message)\n--- command output ---\n\(output.suffix(4_000))"
    }
}
