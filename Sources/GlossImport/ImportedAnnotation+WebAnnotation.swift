import GlossCore
import Foundation

extension ImportedAnnotation {
    /// The IRI prefix of a Gloss document in a W3C export's `target.source.id`: `urn:gloss:document:PROJECT/DOCUMENT`.
    public static let documentPrefix = "urn:gloss:document:"

    /// Reads a W3C Web Annotation (Web Annotation Data Model §3) in its compacted JSON-LD
    /// form, from Gloss or another tool: `id`, `creator` (a name or an agent with `name`),
    /// `created`, `modified`, `body` (TextualBody values: purpose `classifying` gives the
    /// label, `tagging` a tag, any other purpose or none the note; or `bodyValue`), and a
    /// `target` whose selectors give the span: a TextQuoteSelector (exact, prefix, suffix)
    /// and a TextPositionSelector (start, end in code points). Gloss's own terms
    /// (`reviewStatus`, `reviewComment`, `deleted`, `deleteConflict`) are read too.
    ///
    /// - Throws: ``ImportError`` (`bad-record`) when it is not an annotation or its target has no selector.
    public init(webAnnotation object: [String: Any]) throws(ImportError) {
        self.init()
        let reader = RecordReader(object)
        guard Self.isWebAnnotation(object) else {
            throw .badRecord("the object is not a Web Annotation (\"type\": \"Annotation\", or a target)")
        }
        if let text = try reader.string("id") {
            let bare = text.hasPrefix("urn:uuid:") ? String(text.dropFirst("urn:uuid:".count)) : text
            if let id = try? AnnotationID(bare) { self.id = id } else { sourceID = text }
        }
        if let name = object["creator"] as? String {
            creator = name
        } else if let agent = object["creator"] as? [String: Any] {
            creator = (agent["name"] as? String) ?? (agent["nickname"] as? String) ?? (agent["id"] as? String)
        }
        created = try reader.time("created")
        updated = try reader.time("modified")
        var bodies: [[String: Any]] = []
        if let one = object["body"] as? [String: Any] { bodies = [one] }
        if let many = object["body"] as? [Any] { bodies = many.compactMap { $0 as? [String: Any] } }
        var notes: [String] = []
        for body in bodies {
            guard let value = body["value"] as? String else { continue }
            switch body["purpose"] as? String {
            case "classifying": label = value
            case "tagging": tags.append(value)
            default: notes.append(value)
            }
        }
        if let value = try reader.string("bodyValue") { notes.append(value) }
        // Hypothesis's own API form: text and tags beside the target.
        if bodies.isEmpty, let text = object["text"] as? String, !text.isEmpty { notes.append(text) }
        if let extra = object["tags"] as? [String] { tags += extra }
        note = notes.joined(separator: "\n")
        tags = Array(Set(tags)).sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        try readTarget(object["target"])
        if let status = try reader.string("reviewStatus") {
            guard let parsed = ReviewStatus(rawValue: status) else { throw .badRecord("reviewStatus must be open, accepted or rejected") }
            review = Review(status: parsed, comment: try reader.string("reviewComment") ?? "")
        }
        deleted = try reader.bool("deleted") ?? false
        deleteConflict = try reader.bool("deleteConflict") ?? false
    }

    /// Whether `object` is an annotation: typed `Annotation` (or `oa:Annotation`, in `type` or
    /// `@type`), or untyped with a `target` (as Hypothesis's API gives them).
    public static func isWebAnnotation(_ object: [String: Any]) -> Bool {
        for key in ["type", "@type"] {
            let types = (object[key] as? String).map { [$0] } ?? (object[key] as? [String] ?? [])
            if types.contains("Annotation") || types.contains("oa:Annotation") { return true }
            if !types.isEmpty { return false }
        }
        return object["target"] != nil
    }

    private mutating func readTarget(_ target: Any?) throws(ImportError) {
        let object: [String: Any]
        if let one = target as? [String: Any] {
            object = one
        } else if let many = target as? [Any], let first = many.first as? [String: Any] {
            object = first
        } else {
            throw .badRecord("the annotation has no target with a selector (a TextQuoteSelector or TextPositionSelector)")
        }
        let source = (object["source"] as? String) ?? ((object["source"] as? [String: Any])?["id"] as? String)
        if let source, source.hasPrefix(Self.documentPrefix) {
            let parts = source.dropFirst(Self.documentPrefix.count).split(separator: "/", maxSplits: 1).map(String.init)
            if parts.count == 2 {
                project = try? ProjectID(parts[0])
                document = try? DocumentID(parts[1])
            }
        }
        var selectors: [[String: Any]] = []
        if let one = object["selector"] as? [String: Any] { selectors = [one] }
        if let many = object["selector"] as? [Any] { selectors = many.compactMap { $0 as? [String: Any] } }
        guard !selectors.isEmpty else { throw .badRecord("the annotation's target has no selector (a TextQuoteSelector or TextPositionSelector)") }
        for selector in selectors {
            let reader = RecordReader(selector, path: "selector.")
            switch selector["type"] as? String {
            case "TextQuoteSelector":
                exact = try reader.string("exact") ?? ""
                prefix = try reader.string("prefix") ?? ""
                suffix = try reader.string("suffix") ?? ""
            case "TextPositionSelector":
                start = try reader.integer("start")
                end = try reader.integer("end")
            default: continue
            }
        }
    }
}
