import GlossCore

/// Reads a request's named arguments, refusing unknown, repeated, missing and
/// malformed ones with ``ProtocolError/Code/badArgument`` and a message that
/// names what is expected.
struct ArgumentReader {
    private let verb: Verb
    private var values: [String: [String]] = [:]
    private var allowed: Set<String> = []
    /// The first value given without a key, if any (refused in ``finish()``, once the verb's keys are known).
    private var positional: String?

    init(_ line: Line, verb: Verb) throws(ProtocolError) {
        self.verb = verb
        for argument in line.arguments {
            guard case .named(let key, let value) = argument else {
                if positional == nil { positional = argument.value }
                continue
            }
            values[key, default: []].append(value)
        }
    }

    /// The value of `key`, which may appear at most once.
    mutating func optional(_ key: String) throws(ProtocolError) -> String? {
        allowed.insert(key)
        guard let found = values[key] else { return nil }
        guard found.count == 1 else { throw ProtocolError(.badArgument, "\(key)= appears \(found.count) times in \(verb.rawValue); give it once") }
        return found[0]
    }

    /// Every value of a repeatable `key`.
    mutating func repeated(_ key: String) -> [String] {
        allowed.insert(key)
        return values[key] ?? []
    }

    /// The value of a required `key`.
    mutating func required(_ key: String) throws(ProtocolError) -> String {
        guard let value = try optional(key) else { throw ProtocolError(.badArgument, "\(verb.rawValue) needs \(key)=") }
        return value
    }

    /// An integer in `range`.
    mutating func integer(_ key: String, in range: ClosedRange<Int>) throws(ProtocolError) -> Int? {
        guard let text = try optional(key) else { return nil }
        guard Self.isCanonicalNumber(text), let value = Int(text), range.contains(value) else {
            throw ProtocolError(.badArgument, "\(key)=\(Excerpt.of(text)) is not a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return value
    }

    /// Whether `text` is a whole number written one way only: decimal digits, no
    /// sign, no leading zero (but `0` itself).
    static func isCanonicalNumber<Text: StringProtocol>(_ text: Text) -> Bool {
        guard let first = text.utf8.first, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        return first != 0x30 || text.utf8.count == 1
    }

    /// Every `doc=`, as document ids.
    mutating func documents() throws(ProtocolError) -> [DocumentID] {
        var documents: [DocumentID] = []
        for text in repeated("doc") {
            do {
                documents.append(try DocumentID(text))
            } catch {
                throw ProtocolError(.badArgument, "doc=: \(error.message)")
            }
        }
        return documents
    }

    /// `status=`: open, accepted or rejected.
    mutating func status() throws(ProtocolError) -> ReviewStatus? {
        guard let text = try optional("status") else { return nil }
        guard let status = ReviewStatus(rawValue: text) else {
            throw ProtocolError(.badArgument, "status= takes open, accepted or rejected, not \(Excerpt.quoted(text))")
        }
        return status
    }

    /// `yes` or `no`.
    mutating func flag(_ key: String) throws(ProtocolError) -> Bool? {
        guard let text = try optional(key) else { return nil }
        switch text {
        case "yes": return true
        case "no": return false
        default: throw ProtocolError(.badArgument, "\(key)= takes yes or no, not \(Excerpt.quoted(text))")
        }
    }

    /// A value checked by one of the core's identifier initializers.
    mutating func identifier<ID>(_ key: String, _ make: (String) throws(CoreError) -> ID) throws(ProtocolError) -> ID? {
        guard let text = try optional(key) else { return nil }
        do {
            return try make(text)
        } catch {
            throw ProtocolError(.badArgument, "\(key)=: \(error.message)")
        }
    }

    /// A required identifier.
    mutating func requiredIdentifier<ID>(_ key: String, _ make: (String) throws(CoreError) -> ID) throws(ProtocolError) -> ID {
        guard let value = try identifier(key, make) else { throw ProtocolError(.badArgument, "\(verb.rawValue) needs \(key)=") }
        return value
    }

    /// At most five names, then how many more.
    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(5).map { Excerpt.of($0) }.joined(separator: ", ")
        return names.count > 5 ? shown + " and \(names.count - 5) more" : shown
    }

    /// Fails if the line carried an argument nobody asked for.
    func finish() throws(ProtocolError) {
        if let positional {
            guard !allowed.isEmpty else { throw ProtocolError(.badArgument, "\(verb.rawValue) takes no arguments; got \(Excerpt.quoted(positional))") }
            throw ProtocolError(.badArgument, "\(verb.rawValue) takes only named arguments (key=value); got \(Excerpt.quoted(positional))")
        }
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            let expected = allowed.isEmpty ? "no arguments" : allowed.sorted().joined(separator: ", ")
            throw ProtocolError(.badArgument, "\(verb.rawValue) does not take \(Self.list(unknown)); it takes \(expected)")
        }
    }
}
