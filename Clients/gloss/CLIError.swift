import ArgumentParser
import Foundation
import GlossExportFiles
import GlossClient

/// A failure the CLI reports, with an exit status that says what kind it is.
struct CLIError: Error, CustomStringConvertible {
    /// Exit statuses (sysexits-style), documented in `gloss --help`.
    enum Kind: Int32 {
        /// The server refused the request as invalid (bad span, quote not found, bad argument…).
        case refused = 65
        /// No such document, annotation or subscription.
        case notFound = 66
        /// Cannot reach the server, TLS failed, or the connection dropped.
        case unavailable = 69
        /// A temporary condition: retry later (server busy, shutting down, database unreachable).
        case temporary = 75
        /// Not logged in, wrong token, or the role does not allow it.
        case permission = 77
        /// Wrong use of the command line or configuration.
        case usage = 64
        /// The server's certificate does not match the pinned one.
        case certificate = 76
        /// The output cannot be written (a full disk, a closed pipe).
        case output = 74
    }

    let kind: Kind
    let message: String

    init(_ kind: Kind, _ message: String, code: String? = nil) {
        self.kind = kind
        self.message = message
        self.code = code
    }

    /// The CLI's view of a client error: its kind, and advice where there is some.
    init(_ error: ClientError) {
        switch error.code {
        case "not-found": self.init(.notFound, error.message)
        case "auth-failed": self.init(.permission, error.message + " (log in again: gloss login …)")
        case "auth-required", "forbidden", "access-revoked": self.init(.permission, error.message)
        case "auth-throttled": self.init(.temporary, error.message)
        case "annotation-deleted": self.init(.refused, error.message + " (gloss restore ID)")
        case "unavailable", "shutting-down", "too-many-requests", "too-many-connections", "too-many-exports": self.init(.temporary, error.message)
        case ClientError.certificateMismatch: self.init(.certificate, error.message)
        case ClientError.connectionFailed, ClientError.tlsFailed, ClientError.connectionClosed, ClientError.timedOut, "idle-timeout", "auth-timeout":
            self.init(.unavailable, error.message)
        default: self.init(.refused, error.message)
        }
        code = error.code
    }

    /// The server's or client's error code, when there is one.
    var code: String?

    var description: String { code.map { "\($0): \(message)" } ?? message }
}

/// Runs a command body, printing a failure on standard error and exiting with its status.
func reporting(json: Bool, _ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        if json {
            let object: [String: String] = ["error": error.code ?? "usage", "message": error.message]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            StandardError.write(Array(data) + [UInt8(ascii: "\n")])
        } else {
            StandardError.write("gloss: \(Output.safe(error.description))\n")
        }
        throw ExitCode(error.kind.rawValue)
    } catch let error as ClientError {
        try await reporting(json: json) { throw CLIError(error) }
    }
}
