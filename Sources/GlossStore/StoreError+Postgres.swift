import GlossCore
import PostgresNIO

extension StoreError {
    /// The SQLSTATE raised by `gloss_apply_batch` when another writer changed an annotation first.
    static let staleStateSQLState = "GL409"
    /// The SQLSTATE raised by `gloss_apply_batch` when a dot is already stored with other content.
    static let reusedDotSQLState = "GL410"
    /// PostgreSQL's unique violation: a COPY met an operation stored already.
    static let uniqueViolationSQLState = "23505"

    /// Classifies an error from postgres-nio: lost or refused connections, and
    /// server states that mean "not now" (connection exceptions, shutdown,
    /// too many connections), become the retryable ``Code/unavailable``.
    static func from(_ error: any Error, doing what: String) -> StoreError {
        if let error = error as? StoreError { return error }
        if let error = error as? CoreError {
            return StoreError(.internalError, "stored data does not decode while \(what): \(error)")
        }
        if let error = error as? PostgresDecodingError {
            return StoreError(.internalError, "a column does not decode while \(what): \(error.code)")
        }
        if error is PostgresConnectionClosed {
            return StoreError(.unavailable, "lost the connection to PostgreSQL while \(what); retry later")
        }
        guard let psql = error as? PSQLError else {
            return StoreError(.unavailable, "PostgreSQL is unreachable while \(what) (\(String(describing: error))); retry later")
        }
        if psql.code == .server {
            let state = psql.serverInfo?[.sqlState] ?? ""
            let message = psql.serverInfo?[.message] ?? "unknown server error"
            if state.hasPrefix("08") || ["57P01", "57P02", "57P03", "53300"].contains(state) {
                return StoreError(.unavailable, "PostgreSQL is not accepting work while \(what) (\(state): \(message)); retry later")
            }
            if state == "GL411" {
                return StoreError(.documentExists, message)
            }
            if state.hasPrefix("22") || state.hasPrefix("23") {
                return StoreError(.invalidValue, "PostgreSQL cannot store a value of this request (\(state): \(Excerpt.of(message, limit: 200))); nothing was written")
            }
            return StoreError(.internalError, "PostgreSQL refused \(what): \(state) \(message)")
        }
        return StoreError(.unavailable, "lost the connection to PostgreSQL while \(what) (\(psql.code)); retry later")
    }

    /// The SQLSTATE of a server error, if `error` is one.
    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }
}
