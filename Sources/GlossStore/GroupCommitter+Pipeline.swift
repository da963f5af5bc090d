import GlossCore

extension GroupCommitter {
    /// Whether a group may be stored while the next one is prepared: a large group of
    /// batches from peers only (no idempotency keys, no local dots to issue), as a
    /// catch-up sends. Small groups (live traffic) gather while the one before commits.
    static func pipelines(_ batch: [WriteRequest]) -> Bool {
        batch.allSatisfy { !$0.isLocal && $0.key == nil } && batch.reduce(0) { $0 + $1.operationCount } >= copyThreshold
    }

    /// Commits a run of groups received from peers, preparing each next group (reading
    /// the states it needs, merging) while the one before it is being stored, so that
    /// PostgreSQL and the merge work at once during a catch-up.
    ///
    /// The next group is prepared on top of the one being stored, as if it had
    /// committed. Groups still commit one after another, in order; observers and
    /// writers hear of each after its commit. If storing fails, the group prepared
    /// ahead goes back to the queue untouched and the failed one takes the ordinary
    /// path (``commit(_:)``, with its retries), which prepares it afresh.
    func commitPipelined(_ first: [WriteRequest]) async {
        guard !needsResync, let prepared = try? await prepareAhead(first, on: nil) else {
            await commit(first)
            return
        }
        var current = (batch: first, group: prepared)
        while true {
            let group = current.group
            let storing = Task { try await self.storeOptimistically(group, copying: true) }
            var next: (batch: [WriteRequest], group: PreparedGroup?)?
            if !needsResync, !pending.isEmpty, !pending.contains(where: \.isLocal) {
                let batch = takeGroup()
                next = (batch, try? await prepareAhead(batch, on: group))
            }
            do {
                try await storing.value
            } catch {
                if let next { pending.insert(contentsOf: next.batch, at: 0) }
                await commit(current.batch)
                return
            }
            finish(current.batch, current.group)
            guard let next else { return }
            guard let group = next.group, !needsResync else {
                pending.insert(contentsOf: next.batch, at: 0)
                return
            }
            current = (next.batch, group)
        }
    }

    /// Prepares a group of peers' batches on top of `base` (the group being stored), reading
    /// only the states neither holds.
    private func prepareAhead(_ batch: [WriteRequest], on base: PreparedGroup?) async throws -> PreparedGroup {
        let held = Set(base?.states.keys.map { $0 } ?? [])
        try await loadMissing(Set(batch.flatMap(\.existingAnnotations)).subtracting(held))
        var group = prepareAll(batch, recorded: [:], on: base)
        // Made now, while the group before is stored, rather than on the way to PostgreSQL.
        if group.operations.count >= Self.copyThreshold { group.copyRows = OperationCopyRows.rows(group.operations) }
        return group
    }
}
