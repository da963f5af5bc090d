/// Lets one write per idempotency key run at a time in this process, so a
/// retry that arrives while the first attempt is still committing waits for it
/// and then finds its key instead of writing twice.
actor KeyGate {
    private var held: Set<String> = []
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` while holding `name`.
    func withKey<Result: Sendable>(_ name: String, _ body: @Sendable () async throws -> Result) async throws -> Result {
        while held.contains(name) {
            await withCheckedContinuation { waiting[name, default: []].append($0) }
        }
        held.insert(name)
        defer {
            held.remove(name)
            if var queue = waiting[name], !queue.isEmpty {
                queue.removeFirst().resume()
                waiting[name] = queue.isEmpty ? nil : queue
            }
        }
        return try await body()
    }
}
