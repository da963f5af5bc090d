public import GlossCore

/// The brat standoff export (https://brat.nlplab.org/standoff.html): per document a
/// `.txt` holding its text and a `.ann` holding its annotations, plus one
/// `annotation.conf` naming every entity type and attribute used.
///
/// - Each annotation is an entity `T<n>\t<type> <start> <end>\t<text>`, offsets in
///   code points (brat counts characters of the text as read, `\r` included). brat
///   has no escaping, so a span holding a line break or a tab becomes fragments
///   (`start end;start end`) around those characters, its text the fragments
///   joined by a space. A span of nothing but such characters cannot be written at
///   all (its text would have to hold them): it is left out of the `.ann` and listed,
///   with its id and offsets, in `annotation.conf` (``leftOut``).
/// - The label is the entity type. Characters brat cannot hold in a type name
///   (anything but letters, digits, `_` and `-`) become `_`; the mapping is listed
///   in `annotation.conf` (``naming``).
/// - The note is an `AnnotatorNotes` line, with `\`, line breaks and tabs escaped
///   as `\\`, `\n`, `\r`, `\t`, other line breaks and control characters as
///   `\u2028`-style escapes (so no terminal or viewer acts on an ESC or a bell).
/// - Each tag is a binary attribute `tag-<name>`, the review status the
///   attribute `Review` (open, accepted or rejected).
public struct BratFormat: Sendable {
    /// The type and attribute names used so far, and the labels and tags that had to be changed.
    public private(set) var naming = BratNaming()
    /// The annotations left out because their span holds nothing brat can write, as
    /// `PROJECT/DOCUMENT ID [start, end)` (code points), in the order met.
    public private(set) var leftOut: [String] = []

    /// A format with no names used yet.
    public init() {}

    /// The `.ann` file of one document's annotations (in start order), numbered from T1.
    public mutating func annotations(_ items: [ExportItem]) -> [UInt8] {
        var lines = ""
        var attribute = 0
        for (index, item) in items.enumerated() {
            let view = item.view
            let entity = "T\(index + 1)"
            let fragments = Self.fragments(of: view.span.value)
            guard !fragments.isEmpty else {
                leftOut.append("\(view.project)/\(view.document) \(view.id) [\(view.span.value.start), \(view.span.value.end))")
                continue
            }
            let type = naming.entityType(for: view.label.value)
            let ranges = fragments.map { "\($0.start) \($0.end)" }.joined(separator: ";")
            lines += "\(entity)\t\(type) \(ranges)\t\(fragments.map(\.text).joined(separator: " "))\n"
            if !view.note.value.isEmpty { lines += "#\(index + 1)\tAnnotatorNotes \(entity)\t\(Self.escaped(view.note.value))\n" }
            for tag in view.tags {
                attribute += 1
                lines += "A\(attribute)\t\(naming.tagAttribute(for: tag)) \(entity)\n"
            }
            attribute += 1
            lines += "A\(attribute)\tReview \(entity) \(view.review.value.status.rawValue)\n"
        }
        return Array(lines.utf8)
    }

    /// `annotation.conf`: the mapped names listed in comments, then every entity type and attribute used.
    public func configuration() -> [UInt8] {
        var text = "# Written by glossd export --format brat: entity types are Gloss labels, attributes its tags and review status.\n"
        if !naming.changed.isEmpty {
            text += "# Labels and tags holding characters brat cannot use in a name were renamed (original, escaped -> brat name):\n"
            for (original, name) in naming.changed { text += "#   \(Self.escaped(original)) -> \(name)\n" }
        }
        if !leftOut.isEmpty {
            text += "# Annotations left out: their spans hold only line breaks or tabs, which a brat text field cannot hold:\n"
            for annotation in leftOut { text += "#   \(annotation)\n" }
        }
        text += "[entities]\n"
        for type in naming.entityTypes { text += type + "\n" }
        text += "[relations]\n[events]\n[attributes]\nReview\tArg:<ENTITY>, Value:open|accepted|rejected\n"
        for name in naming.tagAttributes { text += "\(name)\tArg:<ENTITY>\n" }
        return Array(text.utf8)
    }

    /// One piece of a span: code point offsets in the document, half-open, and its text.
    public struct Fragment: Equatable, Sendable {
        public let start: Int
        public let end: Int
        public let text: String

        /// A fragment.
        public init(start: Int, end: Int, text: String) {
            self.start = start
            self.end = end
            self.text = text
        }
    }

    /// Characters brat's one-line text field cannot hold: line breaks (as Python's
    /// `str.splitlines` counts them, which brat readers use) and the tab separating fields.
    static func breaksField(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029: true
        default: false
        }
    }

    /// The span cut around the characters that break brat's field (``breaksField(_:)``);
    /// none for a span of nothing else.
    public static func fragments(of span: Span) -> [Fragment] {
        var fragments: [Fragment] = []
        var current = String.UnicodeScalarView()
        var start = span.start
        var offset = span.start
        for scalar in span.quote.unicodeScalars {
            if breaksField(scalar) {
                if !current.isEmpty { fragments.append(Fragment(start: start, end: offset, text: String(current))) }
                current = String.UnicodeScalarView()
                start = offset + 1
            } else {
                current.append(scalar)
            }
            offset += 1
        }
        if !current.isEmpty { fragments.append(Fragment(start: start, end: offset, text: String(current))) }
        return fragments
    }

    /// `value` on one line: `\` doubled, line breaks, tabs and control characters written as escapes.
    static func escaped(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where breaksField(scalar) || scalar.properties.generalCategory == .control: result += "\\u" + String(scalar.value, radix: 16, uppercase: false).leftPadded(to: 4)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// The brat names of Gloss labels and tags: letters, digits, `_` and `-` kept,
/// anything else `_`, and a name another label already took gets `-2`, `-3`, ….
public struct BratNaming: Sendable {
    /// Entity types in the order first used.
    public private(set) var entityTypes: [String] = []
    /// Tag attributes in the order first used.
    public private(set) var tagAttributes: [String] = []
    /// Labels and tags whose brat name differs from them, with that name.
    public private(set) var changed: [(original: String, name: String)] = []
    private var types: [String: String] = [:]
    private var tags: [String: String] = [:]
    private var taken: Set<String> = ["Review"]

    /// No names used yet.
    public init() {}

    /// The entity type of `label` (`unlabelled` for an empty one).
    public mutating func entityType(for label: String) -> String {
        if let known = types[label] { return known }
        let name = unique(Self.mapped(label.isEmpty ? "unlabelled" : label), original: label, unchangedName: label)
        types[label] = name
        entityTypes.append(name)
        return name
    }

    /// The binary attribute of `tag`: `tag-` and its mapped name.
    public mutating func tagAttribute(for tag: String) -> String {
        if let known = tags[tag] { return known }
        let name = unique("tag-" + Self.mapped(tag), original: tag, unchangedName: "tag-" + tag)
        tags[tag] = name
        tagAttributes.append(name)
        return name
    }

    /// `base`, or `base-2`, `base-3`, … when taken; recorded as changed unless it is `unchangedName`.
    private mutating func unique(_ base: String, original: String, unchangedName: String) -> String {
        var name = base
        var number = 1
        while taken.contains(name) {
            number += 1
            name = "\(base)-\(number)"
        }
        taken.insert(name)
        if name != unchangedName { changed.append((original, name)) }
        return name
    }

    /// `value` with every character but letters, decimal digits, `_` and `-` replaced by `_`
    /// (what brat readers accept in a name: Python's `[\w-]`).
    public static func mapped(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { scalar in
            switch scalar.properties.generalCategory {
            case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber: scalar
            default: scalar == "_" || scalar == "-" ? scalar : "_"
            }
        }))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
