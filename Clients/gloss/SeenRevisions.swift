import Foundation
import GlossCore
import GlossProtocol

/// What this profile last showed of each annotation (its `rev=`), kept beside
/// the configuration. Edits send it, so a change someone else made meanwhile
/// is kept as a conflict instead of being overwritten unseen.
struct SeenRevisions {
    private var revisions: [String: String] = [:]
    private let url: URL

    /// Most annotations remembered.
    static let limit = 20_000

    init(profile: String) {
        url = ProfileFile.location.deletingLastPathComponent().appendingPathComponent("seen-\(profile).json")
        if let data = try? Data(contentsOf: url), let stored = try? JSONDecoder().decode([String: String].self, from: data) {
            revisions = stored
        }
    }

    /// The revision last shown of `id`, if any.
    func revision(of id: AnnotationID) -> [Dot]? {
        revisions[id.description].flatMap { try? Request.revision($0) }
    }

    /// Remembers what was just shown.
    mutating func shown(_ records: [AnnotationRecord]) {
        for record in records { revisions[record.id.description] = Request.revisionText(record.revision) }
    }

    /// Adds the dots of one's own write: one has seen what one wrote.
    mutating func wrote(_ dots: [Dot], on id: AnnotationID) {
        let known = revision(of: id) ?? []
        revisions[id.description] = Request.revisionText(Array(Set(known + dots)).sorted())
    }

    func save() {
        var kept = revisions
        if kept.count > Self.limit { kept = Dictionary(uniqueKeysWithValues: kept.prefix(Self.limit).map { ($0.key, $0.value) }) }
        guard let data = try? JSONEncoder().encode(kept) else { return }
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? data.write(to: url, options: .atomic)
        try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
    }
}
