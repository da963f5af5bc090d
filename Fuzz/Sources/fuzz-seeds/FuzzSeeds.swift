import GlossCore
import GlossCoreTesting

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes the `fuzz-decode` seed corpus: canonical encodings of real operations
/// (one of each kind) and annotation states (plain, tagged, conflicted, deleted,
/// without origin), made by the seeded network simulator, so they follow the
/// current encoding version.
///
/// Usage: `fuzz-seeds FOLDER` (scripts/fuzz does not run it; the seeds are committed
/// in Corpus/fuzz-decode and regenerated only when the encoding changes).
@main
enum FuzzSeeds {
    static func main() {
        guard CommandLine.arguments.count == 2 else {
            print("usage: fuzz-seeds FOLDER")
            exit(2)
        }
        let folder = CommandLine.arguments[1]
        var simulator = NetworkSimulator(seed: 7, replicaCount: 3)
        simulator.run(steps: 300)
        simulator.repair()

        let operations = simulator.known.flatMap(\.values).sorted { $0.dot < $1.dot }
        var kinds: Set<String> = []
        for operation in operations where kinds.insert(operation.kind).inserted {
            write(operation.encoded(), to: "\(folder)/op-\(operation.kind).bin")
        }

        let states = simulator.replicas[0].annotations.keys.sorted().compactMap { simulator.replicas[0].annotations[$0] }
        let picks: [(String, (AnnotationState) -> Bool)] = [
            ("plain", { $0.tags.isEmpty && $0.label.entries.count == 1 && $0.lifecycle.isEmpty }),
            ("tagged", { $0.tags.count >= 2 }),
            ("conflict", { $0.label.entries.count > 1 || $0.span.entries.count > 1 }),
            ("deleted", { $0.lifecycle.entries.contains { if case .deleted = $0.value { true } else { false } } }),
            ("restored", { $0.lifecycle.entries.contains { $0.value == .restored } }),
        ]
        for (name, matches) in picks {
            if let state = states.first(where: matches) { write(state.encoded(), to: "\(folder)/state-\(name).bin") }
        }

        // An edit that arrived before its annotation's create: a state without an origin.
        if let edit = operations.first(where: { $0.kind == "set-label" }) {
            var state = AnnotationState(id: edit.annotation)
            state.apply(edit)
            write(state.encoded(), to: "\(folder)/state-no-origin.bin")
        }
    }

    /// Writes `bytes` to the file at `path`, replacing it.
    static func write(_ bytes: [UInt8], to path: String) {
        guard let file = fopen(path, "wb") else {
            print("cannot write \(path)")
            exit(1)
        }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, file) }
        fclose(file)
        print("\(path): \(bytes.count) bytes")
    }
}
