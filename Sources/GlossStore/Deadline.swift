import Synchronization

/// Runs `body`, throwing ``StoreError/Code/unavailable`` if it has not finished
/// after `limit` — so a caller is told the database is unreachable instead of
/// waiting while the connection pool keeps trying.
///
/// On time-out the body is cancelled but not awaited: a database call that
/// ignores cancellation cannot hold the caller. (A write abandoned this way may
/// still commit; the group committer rereads its counters after any failure,
/// and row versions keep a late commit from overwriting newer state.)
///
/// With `cancelling: false` the abandoned body runs to its end instead (a read
/// that waits for a pooled connection then gives it back as usual).
func withDeadline<Result: Sendable>(
    _ limit: Duration, doing what: String, cancelling: Bool = true, _ body: @Sendable @escaping () async throws -> Result
) async throws -> Result {
    let race = DeadlineRace<Result>()
    return try await withCheckedThrowingContinuation { continuation in
        race.install(continuation)
        let timer = Task {
            try await Task.sleep(for: limit)
            race.finish(.failure(StoreError(.unavailable, "PostgreSQL did not answer within \(limit) while \(what); retry later")))
        }
        let work = Task {
            do {
                race.finish(.success(try await body()))
            } catch {
                race.finish(.failure(error))
            }
            timer.cancel()
        }
        if cancelling { race.onTimeout { work.cancel() } }
    }
}

/// Resumes a continuation with whichever result arrives first.
private final class DeadlineRace<Result: Sendable>: Sendable {
    private let state = Mutex<(continuation: CheckedContinuation<Result, any Error>?, done: Bool)>((nil, false))
    private let cancelWork = Mutex<(@Sendable () -> Void)?>(nil)

    func install(_ continuation: CheckedContinuation<Result, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    /// Delivers `result` if nothing was delivered yet; returns whether it was.
    @discardableResult
    func finish(_ result: Swift.Result<Result, any Error>) -> Bool {
        let continuation = state.withLock { state -> CheckedContinuation<Result, any Error>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result)
        if continuation != nil, case .failure(let error as StoreError) = result, error.code == .unavailable {
            cancelWork.withLock { $0 }?()
        }
        return continuation != nil
    }

    /// What to do when the time-out wins: cancel the abandoned work.
    func onTimeout(_ action: @escaping @Sendable () -> Void) {
        cancelWork.withLock { $0 = action }
    }
}
