// The GlossCore benchmark: field operations applied per second on one core,
// merging two replicas that made concurrent operations, and heap retained per
// operation. Prints one `key=value` line per measurement, the same shape as
// Benchmarks/pycrdt/bench_pycrdt.py, so scripts/bench-core can set them side by side.
//
// Build and run: scripts/bench-core (release build, GLOSS_BENCHMARKS=1).
import Foundation
import GlossCore
import GlossCoreTesting
import HeapUsage

struct Options {
    var annotations = 10_000
    var operations = 1_000_000
    var concurrent = 100_000
    var seed: UInt64 = 1

    init(arguments: [String]) {
        var iterator = arguments.makeIterator()
        while let flag = iterator.next() {
            guard let value = iterator.next() else { break }
            switch flag {
            case "--annotations": annotations = Int(value) ?? annotations
            case "--operations": operations = Int(value) ?? operations
            case "--concurrent": concurrent = Int(value) ?? concurrent
            case "--seed": seed = UInt64(value) ?? seed
            default: FileHandle.standardError.write(Data("ignoring unknown option \(flag)\n".utf8))
            }
        }
    }
}

/// Pools of realistic field values, made before timing (as the pycrdt baseline does).
struct ValuePools {
    let labels: [String]
    let notes: [String]
    let spans: [Span]
    let reviews: [Review]

    init(document: DocumentText, using random: inout SeededRandom) {
        let words = "the visit talks minister source claims report later denied earlier statement according press office said meeting"
            .split(separator: " ").map(String.init)
        labels = (0..<4096).map { _ in
            String((0..<Int.random(in: 6...10, using: &random)).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZ".randomElement(using: &random)! })
        }
        notes = (0..<4096).map { _ in
            var note = ""
            while note.count < 55 { note += (note.isEmpty ? "" : " ") + words.randomElement(using: &random)! }
            return note
        }
        spans = (0..<4096).map { _ in
            let start = Int.random(in: 0..<(document.count - 20), using: &random)
            return try! document.span(start: start, end: start + Int.random(in: 1...20, using: &random))
        }
        reviews = (0..<4096).map { _ in
            Review(status: ReviewStatus.allCases.randomElement(using: &random)!, comment: ["", "ok", "check source"].randomElement(using: &random)!)
        }
    }

    func randomWrite(using random: inout SeededRandom) -> AnnotationOperation.Payload {
        let index = Int(random.next() % 4096)
        switch random.next() % 4 {
        case 0: return .set(.label(labels[index]))
        case 1: return .set(.note(notes[index]))
        case 2: return .set(.span(spans[index]))
        default: return .set(.review(reviews[index]))
        }
    }
}

func heapInUse() -> Int { Int(gloss_heap_in_use()) }

func residentBytes() -> Int {
    guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = statm.split(separator: " ")
    return (Int(fields[1]) ?? 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

func format(_ value: Double) -> String { String(format: "%.1f", value) }

let options = Options(arguments: Array(CommandLine.arguments.dropFirst()))
let document = try Document(
    id: DocumentID("bench"), project: ProjectID("bench"), title: "Bench",
    text: String(repeating: "Kishida’s visit to Washington: “2+2” talks in 東京 and Zürich 🇯🇵🤝🇺🇸, café vs cafe\u{301}. ", count: 40)
)
var random = SeededRandom(seed: options.seed)
let pools = ValuePools(document: document.text, using: &random)
var wall: UInt64 = 1_700_000_000_000

/// Creates the annotations on `replica` and returns their ids and the create operations.
@MainActor
func seedAnnotations(_ replica: inout Replica) throws -> ([AnnotationID], [AnnotationOperation]) {
    var ids: [AnnotationID] = []
    var creates: [AnnotationOperation] = []
    for _ in 0..<options.annotations {
        let id = AnnotationID.random(using: &random)
        wall += 1
        let seed = AnnotationSeed(project: document.project, document: document.id, span: pools.spans[ids.count % 4096], label: "PERSON", tags: ["review"])
        creates.append(try replica.perform(.create(seed), on: id, by: "seeder", wallClockMilliseconds: wall))
        ids.append(id)
    }
    return (ids, creates)
}

print("gloss-core \(options.annotations) annotations, seed \(options.seed)")

// Local: make and apply operations at the replica that authors them.
var author = Replica(id: try ReplicaID("bench-a"))
let (ids, creates) = try seedAnnotations(&author)
var operations: [AnnotationOperation] = []
operations.reserveCapacity(options.operations)
let plannedWrites = (0..<options.operations).map { _ in (ids[Int(random.next() % UInt64(ids.count))], pools.randomWrite(using: &random)) }
let localSeconds = try seconds {
    for (id, payload) in plannedWrites {
        wall += 1
        operations.append(try author.perform(payload, on: id, by: "ana", wallClockMilliseconds: wall))
    }
}
print("local_apply ops=\(options.operations) seconds=\(String(format: "%.3f", localSeconds)) ops_per_sec=\(format(Double(options.operations) / localSeconds))")

// Remote: a second replica receives every operation (validation, clock, merge).
let heapBefore = heapInUse()
let residentBefore = residentBytes()
var receiver = Replica(id: try ReplicaID("bench-b"))
for create in creates { try receiver.receive(create, wallClockMilliseconds: wall) }
let remoteSeconds = try seconds {
    for operation in operations { try receiver.receive(operation, wallClockMilliseconds: wall) }
}
let heapAfter = heapInUse()
let residentAfter = residentBytes()
print("remote_apply ops=\(options.operations) seconds=\(String(format: "%.3f", remoteSeconds)) ops_per_sec=\(format(Double(options.operations) / remoteSeconds))")
guard receiver.digest == author.digest else { fatalError("the receiver did not converge with the author") }

// Memory the receiving replica holds (its annotations included) per applied operation,
// measured as malloc'd bytes and as resident-set growth (the pycrdt baseline can only use the latter).
let retainedHeap = Double(heapAfter - heapBefore) / Double(options.operations)
let retainedResident = Double(residentAfter - residentBefore) / Double(options.operations)
print("memory_per_op bytes=\(format(retainedHeap)) rss_bytes=\(format(retainedResident)) replica_mib=\(format(Double(heapAfter - heapBefore) / 1_048_576))")
let sampleSize = min(10_000, operations.count)
let encodedBytes = operations.prefix(sampleSize).reduce(0) { $0 + $1.encoded().count }
print("encoded_op bytes=\(format(Double(encodedBytes) / Double(sampleSize)))")
operations = []

// Concurrent: two replicas from the same start each make `concurrent` operations, then exchange them.
var left = Replica(id: try ReplicaID("bench-left"))
let (sharedIDs, sharedCreates) = try seedAnnotations(&left)
var right = Replica(id: try ReplicaID("bench-right"))
for create in sharedCreates { try right.receive(create, wallClockMilliseconds: wall) }
var fromLeft: [AnnotationOperation] = []
var fromRight: [AnnotationOperation] = []
for _ in 0..<options.concurrent {
    wall += 1
    fromLeft.append(try left.perform(pools.randomWrite(using: &random), on: sharedIDs[Int(random.next() % UInt64(sharedIDs.count))], by: "ana", wallClockMilliseconds: wall))
    fromRight.append(try right.perform(pools.randomWrite(using: &random), on: sharedIDs[Int(random.next() % UInt64(sharedIDs.count))], by: "ben", wallClockMilliseconds: wall))
}
let leftState = left.annotations
let rightState = right.annotations
let mergeSeconds = try seconds {
    for operation in fromRight { try left.receive(operation, wallClockMilliseconds: wall) }
    for operation in fromLeft { try right.receive(operation, wallClockMilliseconds: wall) }
}
let converged = left.digest == right.digest
print("merge_concurrent ops_each=\(options.concurrent) seconds=\(String(format: "%.3f", mergeSeconds)) converged=\(converged)")

// The same merge as a state exchange: join every annotation state of one side into the other's.
var joined = leftState
let stateMergeSeconds = seconds {
    for (id, state) in rightState { joined[id, default: AnnotationState(id: id)].merge(state) }
}
let stateConverged = StateDigest(of: joined.keys.sorted().map { joined[$0]! }) == left.digest
print("merge_state annotations=\(options.annotations) seconds=\(String(format: "%.3f", stateMergeSeconds)) converged=\(stateConverged)")
let conflicted = left.views.filter { !$0.conflictedFields.isEmpty }.count
print("conflicted_annotations count=\(conflicted)")
if !converged || !stateConverged { exit(1) }
