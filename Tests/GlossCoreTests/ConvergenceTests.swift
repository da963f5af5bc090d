import Foundation
import GlossCore
import GlossCoreTesting
import PropertyBased
import Testing

/// Convergence of random operation streams on 3 to 5 replicas over a network
/// that drops, duplicates, reorders and partitions, repaired afterwards.
@Suite("Convergence")
struct ConvergenceTests {
    @Test("Random streams on 3 to 5 replicas converge to equal states and digests")
    func randomStreamsConverge() async {
        await propertyCheck(count: 60, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 3...5)) { seed, replicaCount in
            var simulation = NetworkSimulator(seed: seed, replicaCount: replicaCount)
            simulation.run(steps: 400)
            simulation.repair()
            let converged = simulation.hasConverged
            #expect(converged, "replay: GLOSS_SIM_SEED=\(seed) GLOSS_SIM_REPLICAS=\(replicaCount) GLOSS_SIM_STEPS=400 swift test --filter seedsReplay")
        }
    }

    @Test("Property: a delete-conflict flag names only edits made without seeing any deletion the annotation still holds")
    func deleteConflictsAreConcurrent() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
            simulation.run(steps: 300)
            simulation.repair()
            let operations = simulation.known[0]
            for state in simulation.replicas[0].annotations.values {
                guard case .deleteConflict(let edits)? = state.view?.deletion else { continue }
                let deletions = state.lifecycle.entries.compactMap { entry -> Dot? in
                    if case .deleted = entry.value { return entry.dot }
                    return nil
                }
                for edit in edits {
                    let context = operations[edit]?.context ?? CausalContext()
                    let sawDeletion = deletions.filter { context.contains($0) }
                    #expect(sawDeletion.isEmpty, "seed \(seed): edit \(edit) had seen deletion \(sawDeletion) yet counts as concurrent")
                }
            }
        }
    }

    @Test("A network that only reorders converges too")
    func reorderOnlyConverges() async {
        await propertyCheck(count: 30, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 4, faults: .reorderOnly)
            simulation.run(steps: 300)
            simulation.repair()
            let converged = simulation.hasConverged
            #expect(converged, "seed \(seed)")
        }
    }

    @Test("Replaying one seed gives the same trace and digests (set GLOSS_SIM_SEED to replay a failure)")
    func seedsReplay() throws {
        let seed = SimulationSeed.value("GLOSS_SIM_SEED") ?? 20_261_126
        let replicas = Int(SimulationSeed.value("GLOSS_SIM_REPLICAS") ?? 5)
        let steps = Int(SimulationSeed.value("GLOSS_SIM_STEPS") ?? 1_000)
        var first = NetworkSimulator(seed: seed, replicaCount: replicas)
        var second = NetworkSimulator(seed: seed, replicaCount: replicas)
        first.run(steps: steps)
        second.run(steps: steps)
        first.repair()
        second.repair()
        let divergence = first.trace.indices.first { $0 >= second.trace.count || first.trace[$0] != second.trace[$0] }
        #expect(first.trace.count == second.trace.count && divergence == nil, "traces differ from event \(divergence ?? -1)")
        #expect(first.replicas.map(\.digest) == second.replicas.map(\.digest))
        let converged = first.hasConverged
        #expect(converged, "seed \(seed), \(replicas) replicas, \(steps) steps; trace tail:\n\(first.trace.suffix(20).joined(separator: "\n"))")
        #expect(first.operationCount > steps / 4)
        let views = first.replicas[0].views
        #expect(views.contains { !$0.conflictedFields.isEmpty }, "the workload must produce field conflicts")
        #expect(views.contains { if case .deleteConflict = $0.deletion { true } else { false } }, "and delete conflicts")
        #expect(views.contains { $0.deletion == .deleted }, "and deletions")
    }

    @Test("Any permutation of the same operations, with repeats, gives the same state")
    func permutationsAgree() async {
        await propertyCheck(count: 40, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
            simulation.run(steps: 200)
            simulation.repair()
            let operations = Array(simulation.known[0].values)
            var random = SeededRandom(seed: seed)
            var replay = Replica(id: try! ReplicaID("observer"))
            for operation in (operations + operations.prefix(20)).shuffled(using: &random) { replay.apply(operation) }
            #expect(replay.digest == simulation.replicas[0].digest, "seed \(seed)")
        }
    }

    @Test("Merging whole states equals applying every operation")
    func stateMergeMatchesOperations() async {
        await propertyCheck(count: 30, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
            simulation.run(steps: 300)
            let partial = simulation.replicas
            simulation.repair()
            var merged = partial[0].annotations
            for replica in partial.dropFirst() {
                for (id, state) in replica.annotations { merged[id, default: AnnotationState(id: id)].merge(state) }
            }
            let digest = StateDigest(of: merged.keys.sorted().map { merged[$0]! })
            #expect(digest == simulation.replicas[0].digest, "seed \(seed)")
        }
    }
}

/// Reads the simulation to replay from the environment (`GLOSS_SIM_SEED`,
/// `GLOSS_SIM_REPLICAS`, `GLOSS_SIM_STEPS`), as printed by a failing property.
enum SimulationSeed {
    static func value(_ name: String) -> UInt64? {
        ProcessInfo.processInfo.environment[name].flatMap { UInt64($0) }
    }
}
