import GlossCore
import Foundation

extension ImportedAnnotation {
    /// Reads a Gloss JSON Lines annotation record (schema `gloss.export/1`, docs/EXPORT.md).
    ///
    /// Offsets in UTF-16 or UTF-8 are ignored: `start` and `end` count code points.
    /// - Throws: ``ImportError`` (`bad-record`) naming the key that is missing or of the wrong form.
    public init(jsonLines object: [String: Any]) throws(ImportError) {
        self.init()
        let reader = RecordReader(object)
        guard try reader.string("type") == "annotation" else { throw .badRecord("the line is not an annotation record (\"type\": \"annotation\")") }
        if let text = try reader.string("id") {
            guard let id = try? AnnotationID(text) else { throw .badRecord("id \(Excerpt.quoted(text)) is not a UUID") }
            self.id = id
        }
        project = try reader.identifier("project", ProjectID.init)
        document = try reader.identifier("document", DocumentID.init)
        start = try reader.integer("start")
        end = try reader.integer("end")
        exact = try reader.string("exact") ?? ""
        prefix = try reader.string("prefix") ?? ""
        suffix = try reader.string("suffix") ?? ""
        label = try reader.string("label") ?? ""
        note = try reader.string("note") ?? ""
        tags = try reader.strings("tags") ?? []
        if let review = try reader.object("review") {
            let inner = RecordReader(review, path: "review.")
            self.review = try inner.review(status: "status", comment: "comment")
        }
        deleted = try reader.bool("deleted") ?? false
        deleteConflict = try reader.bool("delete_conflict") ?? false
        creator = try reader.string("creator")
        created = try reader.time("created")
        updated = try reader.time("updated")
        if let fields = try reader.object("fields") {
            for field in Field.allCases {
                guard let provenance = fields[field.rawValue] else { continue }
                guard let provenance = provenance as? [String: Any] else { throw .badRecord("fields.\(field.rawValue) is not an object") }
                let inner = RecordReader(provenance, path: "fields.\(field.rawValue).")
                self.fields[field] = try inner.provenance()
            }
        }
        for (index, item) in (try reader.array("conflicts") ?? []).enumerated() {
            guard let item = item as? [String: Any] else { throw .badRecord("conflicts[\(index)] is not an object") }
            let inner = RecordReader(item, path: "conflicts[\(index)].")
            guard let name = try inner.string("field"), let field = Field(rawValue: name) else {
                throw .badRecord("conflicts[\(index)].field must be span, label, note or review")
            }
            let value: Conflict.Value
            switch field {
            case .span:
                guard let start = try inner.integer("start"), let end = try inner.integer("end") else { throw .badRecord("conflicts[\(index)] needs start and end") }
                value = .span(start: start, end: end, exact: try inner.string("exact") ?? "")
            case .label, .note: value = .text(try inner.string("value") ?? "")
            case .review: value = .review(try inner.review(status: "status", comment: "comment") ?? .open)
            }
            conflicts.append(Conflict(field: field, value: value, provenance: try inner.provenance()))
        }
    }
}

/// Reads typed values out of a JSON object, naming the key when one is of the wrong form.
struct RecordReader {
    private let object: [String: Any]
    private let path: String

    init(_ object: [String: Any], path: String = "") {
        self.object = object
        self.path = path
    }

    /// Whether a value JSONSerialization read is `true` or `false` (which also casts to a number, and a number to Bool).
    static func isBoolean(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return type(of: number) == type(of: NSNumber(value: true))
    }

    func string(_ key: String) throws(ImportError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let text = value as? String else { throw .badRecord("\(path)\(key) is not a string") }
        return text
    }

    func integer(_ key: String) throws(ImportError) -> Int? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard !Self.isBoolean(value), let number = value as? NSNumber, let integer = Int(exactly: number.doubleValue), integer >= 0 else {
            throw .badRecord("\(path)\(key) is not a whole number of code points")
        }
        return integer
    }

    func bool(_ key: String) throws(ImportError) -> Bool? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard Self.isBoolean(value), let flag = value as? Bool else { throw .badRecord("\(path)\(key) is not true or false") }
        return flag
    }

    func strings(_ key: String) throws(ImportError) -> [String]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let items = value as? [Any], let texts = items as? [String] else { throw .badRecord("\(path)\(key) is not a list of strings") }
        return texts
    }

    func object(_ key: String) throws(ImportError) -> [String: Any]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let inner = value as? [String: Any] else { throw .badRecord("\(path)\(key) is not an object") }
        return inner
    }

    func array(_ key: String) throws(ImportError) -> [Any]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let items = value as? [Any] else { throw .badRecord("\(path)\(key) is not a list") }
        return items
    }

    func identifier<ID>(_ key: String, _ make: (String) throws(CoreError) -> ID) throws(ImportError) -> ID? {
        guard let text = try string(key) else { return nil }
        do {
            return try make(text)
        } catch {
            throw .badRecord("\(path)\(key): \(error.message)")
        }
    }

    /// An RFC 3339 time, as the hybrid logical clock timestamp of its millisecond.
    func time(_ key: String) throws(ImportError) -> HLCTimestamp? {
        guard let text = try string(key) else { return nil }
        guard let time = RecordReader.time(text) else { throw .badRecord("\(path)\(key) \(Excerpt.quoted(text)) is not an RFC 3339 time after 1970") }
        return time
    }

    static func time(_ text: String) -> HLCTimestamp? {
        let plain = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = fractional.date(from: text) ?? plain.date(from: text), date.timeIntervalSince1970 >= 0 else { return nil }
        return HLCTimestamp(milliseconds: UInt64((date.timeIntervalSince1970 * 1000).rounded()), logical: 0)
    }

    func review(status: String, comment: String) throws(ImportError) -> Review? {
        guard let text = try string(status) else { return nil }
        guard let parsed = ReviewStatus(rawValue: text) else { throw .badRecord("\(path)\(status) must be open, accepted or rejected") }
        return Review(status: parsed, comment: try string(comment) ?? "")
    }

    /// `author` and `time`, both required.
    func provenance() throws(ImportError) -> ImportedAnnotation.Provenance {
        guard let author = try string("author"), !author.isEmpty, let time = try time("time") else { throw .badRecord("\(path)author and \(path)time are required") }
        return ImportedAnnotation.Provenance(author: author, time: time)
    }
}
