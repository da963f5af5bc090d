import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Connection and TLS failures in an operator's words, for logs and a link's
/// last error: what happened and what to check, never a library's type names.
enum ConnectionFailure {
    /// `error`, thrown while connecting to, or talking with, `peer` (an address or "the peer").
    static func describe(_ error: any Error, peer: String = "the peer") -> String {
        switch error {
        case NIOSSLError.uncleanShutdown:
            return "\(peer) closed the connection without ending TLS (it stopped, crashed or lost its network)"
        case NIOSSLError.handshakeFailed(let cause):
            return handshake(cause, peer: peer)
        case let error as IOError:
            return "\(peer): \(reason(errno: error.errnoCode))"
        case ChannelError.ioOnClosedChannel, ChannelError.alreadyClosed, ChannelError.eof:
            return "the connection to \(peer) is closed"
        case ChannelError.connectTimeout:
            return "\(peer) did not accept the connection in time"
        case let error as NIOConnectionError:
            var reasons: [String] = []
            for failure in error.connectionErrors {
                let reason = (failure.error as? IOError).map { Self.reason(errno: $0.errnoCode) } ?? describe(failure.error, peer: peer)
                if !reasons.contains(reason) { reasons.append(reason) }
            }
            return reasons.isEmpty ? "cannot reach \(peer): no address for host \(error.host)" : "cannot reach \(peer): " + reasons.joined(separator: "; ")
        default:
            return "\(peer): \(error)"
        }
    }

    /// The system's words for `errno`, in lower case ("connection refused").
    static func reason(errno code: CInt) -> String {
        String(cString: strerror(code)).lowercased()
    }

    /// A failed TLS handshake: the reason BoringSSL names (`CERTIFICATE_VERIFY_FAILED`, an alert), explained.
    private static func handshake(_ cause: BoringSSLError, peer: String) -> String {
        let detail = "\(cause)"
        let reasons: [(String, String)] = [
            ("CERTIFICATE_VERIFY_FAILED", "the certificate \(peer) serves is not signed by this site's cluster CA (--cluster-ca), or has expired"),
            ("UNKNOWN_CA", "\(peer) does not trust the CA that signed this site's certificate: the two sites use different cluster CAs"),
            ("BAD_CERTIFICATE", "\(peer) refused this site's certificate"),
            ("CERTIFICATE_EXPIRED", "\(peer) says this site's certificate has expired; issue a new one with glossd cert issue"),
            ("CERTIFICATE_REQUIRED", "\(peer) requires a client certificate; this site presented none"),
            ("WRONG_VERSION_NUMBER", "\(peer) does not speak TLS on that port"),
        ]
        if let (_, explained) = reasons.first(where: { detail.contains($0.0) }) { return "TLS handshake failed: \(explained)" }
        let names = detail.components(separatedBy: "OPENSSL_internal:").dropFirst().map { $0.prefix { $0.isUppercase || $0.isNumber || $0 == "_" } }
        return names.isEmpty ? "TLS handshake with \(peer) failed" : "TLS handshake with \(peer) failed (\(names.joined(separator: ", ")))"
    }
}
