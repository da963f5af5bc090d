// Shows the Gloss core merging two sites' concurrent edits on the sample article:
// two analysts annotate, edit the same annotation at the same time, one deletes
// what the other is editing, and both sites end with the same state.
//
// With a database URL, it then stores both sites' operations in PostgreSQL,
// reads the annotations back and runs the consistency check.
//
// Usage: gloss-merge-demo [PATH-TO-ARTICLE] [POSTGRES-URL]
import Foundation
import GlossCore
import GlossStore
import Logging

let path = CommandLine.arguments.dropFirst().first ?? "Samples/japan-us-2plus2.txt"
guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
    FileHandle.standardError.write(Data("gloss-merge-demo: cannot read the article at \(path)\n".utf8))
    exit(66)
}

/// The two sites and the operations each has not yet sent to the other.
struct MergeDemo {
    var tokyo = Replica(id: try! ReplicaID("tokyo"))
    var washington = Replica(id: try! ReplicaID("washington"))
    let article: Document
    var outbox: [ReplicaID: [AnnotationOperation]] = [:]
    /// Every operation made at either site, in the order made.
    var history: [AnnotationOperation] = []

    init(text: String) throws {
        article = try Document(id: DocumentID("japan-us-2plus2"), project: ProjectID("news"), title: "Japan–US 2+2 talks", text: text)
    }

    /// Makes an edit at one site and queues it for the other.
    mutating func edit(_ site: WritableKeyPath<MergeDemo, Replica>, _ payload: AnnotationOperation.Payload, on id: AnnotationID, by author: String) throws {
        let operation = try self[keyPath: site].perform(payload, on: id, by: author, wallClockMilliseconds: now())
        outbox[operation.dot.replica, default: []].append(operation)
        history.append(operation)
    }

    /// Delivers every queued operation to the other site.
    mutating func exchange() throws {
        for operation in outbox[tokyo.id] ?? [] { try washington.receive(operation, wallClockMilliseconds: now()) }
        for operation in outbox[washington.id] ?? [] { try tokyo.receive(operation, wallClockMilliseconds: now()) }
        outbox = [:]
    }

    mutating func annotate(
        _ site: WritableKeyPath<MergeDemo, Replica>, quote: String, occurrence: Int? = nil, label: String, tags: [String] = [], by author: String
    ) throws -> AnnotationID {
        let id = AnnotationID.random()
        let span = try article.text.span(quoting: quote, occurrence: occurrence)
        try edit(site, .create(AnnotationSeed(project: article.project, document: article.id, span: span, label: label, tags: tags)), on: id, by: author)
        print("  \(author)@\(self[keyPath: site].id) annotates \(span) as \(label)")
        return id
    }

    /// Prints the article with every live annotation bracketed: ⟦quote⟧ followed by its label.
    func printDocument(_ site: Replica) {
        let views = site.views.filter { $0.deletion != .deleted }.sorted { $0.span.value.start < $1.span.value.start }
        var output = ""
        var position = 0
        for view in views where view.span.value.start >= position {
            let span = view.span.value
            output += article.text.slice(position, span.start) + "⟦" + span.quote + "⟧{" + view.label.value
            if !view.tags.isEmpty { output += " #" + view.tags.joined(separator: " #") }
            output += "}"
            position = span.end
        }
        output += article.text.slice(position, article.text.count)
        let lines = output.split(separator: "\n").filter { $0.contains("⟦") }
        for line in lines { print("  " + line) }
    }

    func printAnnotations(_ site: Replica) {
        for view in site.views.sorted(by: { $0.span.value.start < $1.span.value.start }) {
            var line = "  \(view.span.value) label=\(view.label.value)"
            if !view.note.value.isEmpty { line += " note=\"\(view.note.value)\"" }
            if !view.tags.isEmpty { line += " tags=\(view.tags)" }
            for field in view.conflictedFields { line += " CONFLICT(\(field.rawValue))" }
            switch view.deletion {
            case .live: break
            case .deleted: line += " DELETED"
            case .deleteConflict: line += " DELETED-WHILE-EDITED (kept; a person decides)"
            }
            print(line)
            for entry in view.label.conflicts { print("      label: \"\(view.label.value)\" by \(view.label.author) won over \"\(entry.value)\" by \(entry.author)") }
        }
    }

    mutating func run() throws {
        print("== Two sites, two analysts: ana at tokyo, ben at washington")
        let kishida = try annotate(\.tokyo, quote: "Kishida’s", label: "PERSON", by: "ana")
        let austin = try annotate(\.washington, quote: "Lloyd Austin", label: "PERSON", tags: ["defense"], by: "ben")
        let talks = try annotate(\.washington, quote: "2+2", occurrence: 1, label: "EVENT", by: "ben")
        try exchange()

        print("\n== Concurrent edits while the sites are apart")
        try edit(\.tokyo, .set(.label("LEADER")), on: kishida, by: "ana")
        print("  ana relabels Kishida’s as LEADER")
        try edit(\.washington, .set(.label("HEAD-OF-GOVERNMENT")), on: kishida, by: "ben")
        print("  ben relabels it HEAD-OF-GOVERNMENT at the same time")
        try edit(\.washington, .set(.note("Fumio Kishida, Prime Minister of Japan")), on: kishida, by: "ben")
        print("  ben adds a note")
        try edit(\.tokyo, .delete, on: talks, by: "ana")
        print("  ana deletes the 2+2 annotation …")
        try edit(\.washington, .addTag("key-event"), on: talks, by: "ben")
        print("  … while ben tags it key-event")
        try edit(\.tokyo, .removeTag("defense"), on: austin, by: "ana")
        try edit(\.washington, .addTag("defense"), on: austin, by: "ben")
        print("  ana removes tag defense from Lloyd Austin while ben adds it again")

        try exchange()
        print("\n== After syncing, both sites show the same (digests \(tokyo.digest == washington.digest ? "equal" : "DIFFER"))")
        print("tokyo:")
        printAnnotations(tokyo)
        print("washington:")
        printAnnotations(washington)

        print("\n== ana resolves the label conflict and keeps the 2+2 annotation")
        try edit(\.tokyo, .resolve(.label("LEADER")), on: kishida, by: "ana")
        try edit(\.tokyo, .restore, on: talks, by: "ana")
        try exchange()
        printAnnotations(washington)
        print("digest tokyo      \(tokyo.digest)")
        print("digest washington \(washington.digest)")

        print("\n== The annotated article (sentences with annotations)")
        printDocument(washington)
        guard tokyo.digest == washington.digest else { exit(1) }
    }
}

func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

var demo = try MergeDemo(text: text)
try demo.run()

if let url = CommandLine.arguments.dropFirst(2).first {
    let history = demo.history
    let article = demo.article
    let expected = demo.washington.digest
    var logger = Logger(label: "demo")
    logger.logLevel = .error
    let store = GlossStore(database: try DatabaseConfiguration(url: url), replica: try ReplicaID("demo-archive"), logger: logger)
    let matches = try await store.withRunning { store in
        try await store.migrate(migrations: try Migration.load(from: Migration.defaultFolder()))
        try await store.putDocument(article)
        try await store.apply(history)
        let stored = try await store.annotations(of: article.key, includeDeleted: true)
        print("\n== Stored in PostgreSQL: \(history.count) operations, \(stored.count) annotations")
        for state in stored {
            guard let view = state.view else { continue }
            print("  \(view.span.value) label=\(view.label.value) tags=\(view.tags) last change by \(view.label.author)")
        }
        let report = try await store.checkConsistency()
        print("glossd check: \(report)")
        return StateDigest(of: stored.sorted { $0.id < $1.id }) == expected && report.isConsistent
    }
    print(matches ? "PostgreSQL holds exactly what both sites show." : "PostgreSQL DIFFERS from the sites")
    if !matches { exit(1) }
}
