// Seeds the export benchmark's database: --documents documents of about 2,000
// code points each in project "bench", and --annotations annotations spread
// over them (label, note and a tag each), stored through bulk apply as from
// another site. scripts/bench-export then times glossd export beside COPY.
import Foundation
import GlossCore
import GlossStore
import Logging

var (databaseURL, annotations, documents) = ("", 1_000_000, 10_000)
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let name = arguments.next(), let value = arguments.next() {
    switch name {
    case "--database-url": databaseURL = value
    case "--annotations": annotations = Int(value) ?? annotations
    case "--documents": documents = Int(value) ?? documents
    default: FileHandle.standardError.write(Data("unknown option \(name)\n".utf8))
    }
}
var logger = Logger(label: "bench")
logger.logLevel = .error
var configuration = try DatabaseConfiguration(url: databaseURL)
configuration.maximumConnections = 4
let store = GlossStore(database: configuration, replica: try ReplicaID("bench-site"), logger: logger)
let started = ContinuousClock.now
let (seededAnnotations, seededDocuments) = (annotations, documents)
try await store.withRunning { store in
    try await store.migrate(migrations: try Migration.load(from: Migration.defaultFolder()))
    let text = DocumentText(String(repeating: "Kishida’s visit to Washington follows talks in Tōkyō. ", count: 35))
    let project = try ProjectID("bench")
    for number in 0..<seededDocuments {
        try await store.putDocument(try Document(id: DocumentID("doc-\(number)"), project: project, title: "Document \(number)", text: text.text))
    }
    var seeder = Replica(id: try ReplicaID("seeder"))
    var batch: [AnnotationOperation] = []
    batch.reserveCapacity(10_000)
    for index in 0..<seededAnnotations {
        let start = (index * 37) % (text.count - 40)
        let seed = AnnotationSeed(
            project: project, document: try DocumentID("doc-\(index % seededDocuments)"), span: try text.span(start: start, end: start + 24),
            label: "label-\(index % 8)", note: "note \(index)", tags: ["review"]
        )
        batch.append(try seeder.perform(.create(seed), on: AnnotationID.random(), by: "seeder", wallClockMilliseconds: 1_700_000_000_000 + UInt64(index)))
        if batch.count == 10_000 {
            _ = try await store.apply(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }
    _ = try await store.apply(batch)
}
let seconds = Double((ContinuousClock.now - started).components.seconds)
print("seeded annotations=\(annotations) documents=\(documents) seconds=\(Int(seconds))")
