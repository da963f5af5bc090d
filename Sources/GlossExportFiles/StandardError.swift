import Foundation

/// Writes to standard error without ever stopping the program: a closed or full
/// standard error (`gloss … 2>&1 | head`) loses the message, where FileHandle's
/// write would trap on the error.
public enum StandardError {
    /// Writes `text` (UTF-8) to descriptor 2, retrying interrupted writes, ignoring failures.
    public static func write(_ text: String) {
        write(Array(text.utf8))
    }

    /// Writes `bytes` to descriptor 2, retrying interrupted writes, ignoring failures.
    public static func write(_ bytes: [UInt8]) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Foundation.write(2, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                return
            }
            written += result
        }
    }
}
