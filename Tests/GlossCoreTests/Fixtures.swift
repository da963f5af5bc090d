import GlossCore
import GlossCoreTesting

/// Helpers shared by the core tests.
enum Fixtures {
    static let article = "Japan and the United States will hold security talks. Kishida’s visit to Washington follows."

    static var document: Document {
        try! Document(id: DocumentID("article"), project: ProjectID("news"), title: "Article", text: article)
    }

    /// The folder holding the sample documents bundled with the repository.
    static var samplesFolder: String {
        let file = #filePath
        let testsFolder = file.split(separator: "/").dropLast(3).joined(separator: "/")
        return "/" + testsFolder + "/Samples"
    }
}

/// Two or more in-memory replicas and a clock, for scripting merge scenarios.
struct Cluster {
    var replicas: [String: Replica]
    var now: UInt64 = 1_700_000_000_000

    init(_ names: String...) {
        replicas = Dictionary(uniqueKeysWithValues: names.map { ($0, Replica(id: try! ReplicaID($0))) })
    }

    subscript(name: String) -> Replica { replicas[name]! }

    /// Makes an operation at `replica`, advancing the shared wall clock by 1 ms.
    mutating func perform(_ replica: String, _ payload: AnnotationOperation.Payload, on id: AnnotationID, by author: String = "ana") throws -> AnnotationOperation {
        now += 1
        return try replicas[replica]!.perform(payload, on: id, by: author, wallClockMilliseconds: now)
    }

    /// Delivers operations to a replica.
    mutating func deliver(_ operations: [AnnotationOperation], to replica: String) throws {
        now += 1
        for operation in operations { try replicas[replica]!.receive(operation, wallClockMilliseconds: now) }
    }

    /// Creates an annotation on the fixture article at `replica`.
    mutating func create(at replica: String, quote: String = "Kishida’s", label: String = "PERSON", tags: [String] = []) throws -> (AnnotationID, AnnotationOperation) {
        let id = AnnotationID.random()
        let span = try Fixtures.document.text.span(quoting: quote)
        let seed = AnnotationSeed(project: Fixtures.document.project, document: Fixtures.document.id, span: span, label: label, tags: tags)
        return (id, try perform(replica, .create(seed), on: id))
    }

    func view(_ replica: String, _ id: AnnotationID) -> AnnotationView? {
        replicas[replica]!.annotations[id]?.view
    }
}
