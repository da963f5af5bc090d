public import GlossCore

extension Request {
    /// Longest idempotency key accepted.
    public static let maximumKeyLength = 128

    /// Reads a request from a parsed line.
    ///
    /// - Throws: ``ProtocolError/Code/unknownVerb`` or ``ProtocolError/Code/badArgument``.
    public init(parsing line: Line) throws(ProtocolError) {
        guard !line.isUntagged else { throw ProtocolError(.malformed, "requests carry the client's tag, not '*'") }
        guard let verb = Verb(rawValue: line.word) else {
            throw ProtocolError(.unknownVerb, "\(line.word) is not a verb; the verbs are \(Verb.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var reader = try ArgumentReader(line, verb: verb)
        var key: String?
        if verb.isWrite {
            key = try reader.optional("key")
            if let key, key.isEmpty || key.unicodeScalars.count > Self.maximumKeyLength {
                throw ProtocolError(.badArgument, "key= must be 1 to \(Self.maximumKeyLength) characters")
            }
        }
        let command = try Self.command(verb, &reader)
        var revision: [Dot]?
        if command.editsAnnotation, let text = try reader.optional("rev") {
            revision = try Self.revision(text)
        }
        try reader.finish()
        self.init(tag: line.tag, command: command, key: key, revision: revision)
    }

    private static func command(_ verb: Verb, _ reader: inout ArgumentReader) throws(ProtocolError) -> Command {
        switch verb {
        case .hello:
            let text = try reader.required("version")
            let versions = text.split(separator: ",").compactMap { ArgumentReader.isCanonicalNumber($0) ? Int($0) : nil }
            guard !versions.isEmpty, versions.count == text.split(separator: ",", omittingEmptySubsequences: false).count else {
                throw ProtocolError(.badArgument, "version= takes whole numbers separated by commas, such as version=1")
            }
            return .hello(versions: versions)
        case .auth: return .auth(token: try reader.required("token"))
        case .ping: return .ping
        case .whoami: return .whoami
        case .quit: return .quit
        case .status: return .status
        case .digests: return .digests
        case .peer:
            guard let version = try reader.integer("version", in: 1...1_000) else { throw ProtocolError(.badArgument, "PEER needs version=") }
            return .peer(version: version)
        case .putDocument:
            return .putDocument(
                DocumentUpload(
                    project: try reader.requiredIdentifier("project", ProjectID.init), id: try reader.identifier("id", DocumentID.init),
                    title: try reader.required("title"), text: try reader.required("text")
                )
            )
        case .getDocument:
            return .getDocument(DocumentReference(try reader.requiredIdentifier("id", DocumentID.init), in: try reader.identifier("project", ProjectID.init)))
        case .listDocuments: return .listDocuments(try reader.requiredIdentifier("project", ProjectID.init))
        case .add:
            let document = DocumentReference(try reader.requiredIdentifier("doc", DocumentID.init), in: try reader.identifier("project", ProjectID.init))
            guard let target = try spanTarget(&reader) else {
                throw ProtocolError(.badArgument, "ADD needs start= and end= (code points) or quote= [occurrence=]")
            }
            let tags = reader.repeated("tag")
            guard tags.count <= Limits.maximumTagsPerAnnotation else {
                throw ProtocolError(.badArgument, "ADD takes at most \(Limits.maximumTagsPerAnnotation) tag=; got \(tags.count)")
            }
            return .add(
                NewAnnotation(
                    document: document, target: target, label: try reader.optional("label") ?? "", note: try reader.optional("note") ?? "",
                    tags: tags
                )
            )
        case .get: return .get(try annotationID(&reader))
        case .list: return .list(try query(&reader))
        case .conflicts: return .conflicts(try query(&reader))
        case .set:
            let id = try annotationID(&reader)
            let edits = try edits(&reader, allowReview: false)
            guard !edits.isEmpty else { throw ProtocolError(.badArgument, "SET needs at least one of start= end=, quote=, label=, note=") }
            return .set(id, edits)
        case .resolve:
            let id = try annotationID(&reader)
            let edits = try edits(&reader, allowReview: true)
            guard edits.count == 1 else {
                throw ProtocolError(.badArgument, "RESOLVE settles one field: give exactly one of start= end=, quote=, label=, note=, status=")
            }
            return .resolve(id, edits[0])
        case .tag, .untag:
            let id = try annotationID(&reader)
            let tags = reader.repeated("tag")
            guard !tags.isEmpty else { throw ProtocolError(.badArgument, "\(verb.rawValue) needs at least one tag=") }
            guard tags.count <= Limits.maximumTagsPerAnnotation else {
                throw ProtocolError(.badArgument, "\(verb.rawValue) takes at most \(Limits.maximumTagsPerAnnotation) tag= at once; got \(tags.count)")
            }
            return verb == .tag ? .tag(id, tags) : .untag(id, tags)
        case .delete: return .delete(try annotationID(&reader))
        case .restore: return .restore(try annotationID(&reader))
        case .review:
            let id = try annotationID(&reader)
            guard let review = try review(&reader) else { throw ProtocolError(.badArgument, "REVIEW needs status=open|accepted|rejected") }
            return .review(id, review)
        case .subscribe:
            let document = try reader.identifier("doc", DocumentID.init)
            let project = try reader.identifier("project", ProjectID.init)
            switch (document, project) {
            case (let document?, _): return .subscribe(.document(DocumentReference(document, in: project)))
            case (nil, let project?): return .subscribe(.project(project))
            case (nil, nil): throw ProtocolError(.badArgument, "SUBSCRIBE needs doc= (with project= when several of your projects hold it) or project=")
            }
        case .export: return .export(try ExportQuery(&reader))
        case .import:
            return .import(
                record: try reader.required("record"), project: try reader.identifier("project", ProjectID.init),
                document: try reader.identifier("doc", DocumentID.init)
            )
        case .unsubscribe:
            guard let id = try reader.integer("sub", in: 1...Int.max) else { throw ProtocolError(.badArgument, "UNSUBSCRIBE needs sub=") }
            return .unsubscribe(id)
        }
    }

    /// Reads a `rev=` value: dots as `replica:counter`, separated by commas (empty for none).
    public static func revision(_ text: String) throws(ProtocolError) -> [Dot] {
        var dots: [Dot] = []
        for part in text.split(separator: ",") {
            guard let colon = part.lastIndex(of: ":"), ArgumentReader.isCanonicalNumber(part[part.index(after: colon)...]),
                let counter = UInt64(part[part.index(after: colon)...]), counter > 0,
                let replica = try? ReplicaID(String(part[..<colon]))
            else { throw ProtocolError(.badArgument, "rev= takes the rev= value of an annotation line, such as tokyo:12,washington:3") }
            dots.append(Dot(replica: replica, counter: counter))
        }
        guard dots.count <= 10_000 else { throw ProtocolError(.badArgument, "rev= names too many values") }
        return dots
    }

    /// The `rev=` text of dots.
    public static func revisionText(_ dots: [Dot]) -> String {
        dots.map(\.description).joined(separator: ",")
    }

    private static func annotationID(_ reader: inout ArgumentReader) throws(ProtocolError) -> AnnotationID {
        try reader.requiredIdentifier("id", AnnotationID.init)
    }

    private static func spanTarget(_ reader: inout ArgumentReader) throws(ProtocolError) -> SpanTarget? {
        let start = try reader.integer("start", in: 0...Int(Int32.max))
        let end = try reader.integer("end", in: 0...Int(Int32.max))
        let quote = try reader.optional("quote")
        let occurrence = try reader.integer("occurrence", in: 1...Int(Int32.max))
        switch (start, end, quote) {
        case (nil, nil, nil):
            guard occurrence == nil else { throw ProtocolError(.badArgument, "occurrence= goes with quote=") }
            return nil
        case (let start?, let end?, nil):
            guard occurrence == nil else { throw ProtocolError(.badArgument, "occurrence= goes with quote=, not with start= and end=") }
            return .offsets(start: start, end: end)
        case (nil, nil, let quote?):
            return .quote(quote, occurrence: occurrence)
        default:
            throw ProtocolError(.badArgument, "give a span either as start= and end= (both) or as quote=, not a mix")
        }
    }

    private static func edits(_ reader: inout ArgumentReader, allowReview: Bool) throws(ProtocolError) -> [Edit] {
        var edits: [Edit] = []
        if let target = try spanTarget(&reader) { edits.append(.span(target)) }
        if let label = try reader.optional("label") { edits.append(.label(label)) }
        if let note = try reader.optional("note") { edits.append(.note(note)) }
        if allowReview, let review = try review(&reader) { edits.append(.review(review)) }
        return edits
    }

    private static func review(_ reader: inout ArgumentReader) throws(ProtocolError) -> Review? {
        let comment = try reader.optional("comment")
        guard let text = try reader.optional("status") else {
            guard comment == nil else { throw ProtocolError(.badArgument, "comment= goes with status=") }
            return nil
        }
        guard let status = ReviewStatus(rawValue: text) else {
            throw ProtocolError(.badArgument, "status= takes open, accepted or rejected, not \(Excerpt.quoted(text))")
        }
        return Review(status: status, comment: comment ?? "")
    }

    private static func query(_ reader: inout ArgumentReader) throws(ProtocolError) -> AnnotationQuery {
        let documents = try reader.documents()
        let status = try reader.status()
        var since: UInt64?
        if let text = try reader.optional("since") {
            guard ArgumentReader.isCanonicalNumber(text), let value = UInt64(text) else {
                throw ProtocolError(.badArgument, "since= takes a timestamp as printed in updated=")
            }
            since = value
        }
        var after: Int64 = 0
        if let text = try reader.optional("after") {
            guard ArgumentReader.isCanonicalNumber(text), let value = Int64(text) else {
                throw ProtocolError(.badArgument, "after= takes the next= value of the previous page")
            }
            after = value
        }
        return AnnotationQuery(
            project: try reader.identifier("project", ProjectID.init), documents: documents, label: try reader.optional("label"),
            author: try reader.optional("author"), status: status, since: since, includeDeleted: try reader.flag("deleted") ?? false,
            after: after, limit: try reader.integer("limit", in: 1...AnnotationQuery.maximumLimit) ?? AnnotationQuery.defaultLimit
        )
    }
}
