/// The canonical binary form of an annotation's merged state, stored in
/// PostgreSQL and hashed into digests. The first byte is the format version.
///
/// Version 2 added the origin's project, written last (after the update time)
/// when there is an origin, so that version 1 bytes upgrade by appending it.
extension AnnotationState {
    /// The format version written by this build.
    public static let encodingVersion: UInt8 = 2

    /// The canonical encoding: equal states give equal bytes.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        encode(into: &writer)
        return writer.bytes
    }

    func encode(into writer: inout ByteWriter) {
        writer.write(byte: Self.encodingVersion)
        writer.write(id)
        if let origin {
            writer.write(byte: 1)
            writer.write(origin.dot)
            writer.write(varint: origin.timestamp.rawValue)
            writer.write(string: origin.author)
            writer.write(string: origin.document.rawValue)
        } else {
            writer.write(byte: 0)
        }
        writer.write(span) { $0.write($1) }
        writer.write(label) { $0.write(string: $1) }
        writer.write(note) { $0.write(string: $1) }
        writer.write(review) { $0.write($1) }
        let sortedTags = tags.keys.sorted()
        writer.write(count: sortedTags.count)
        for tag in sortedTags {
            writer.write(string: tag.name)
            writer.write(tags[tag]!) { _, _ in }
        }
        writer.write(lifecycle) { writer, value in
            switch value {
            case .deleted(let seen):
                writer.write(byte: 0)
                writer.write(seen)
            case .restored:
                writer.write(byte: 1)
            }
        }
        writer.write(varint: updatedAt.rawValue)
        if let origin { writer.write(string: origin.project.rawValue) }
    }

    /// Decodes the canonical encoding; any other bytes are refused.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        var reader = ByteReader(bytes)
        let version = try reader.readByte()
        guard version == Self.encodingVersion else {
            throw CoreError(.decodeVersion, "annotation state version \(version) is not supported (this build reads version \(Self.encodingVersion))")
        }
        let id = try reader.readAnnotationID()
        var origin: (dot: Dot, timestamp: HLCTimestamp, author: String, document: DocumentID)?
        switch try reader.readByte() {
        case 0: origin = nil
        case 1:
            let dot = try reader.readDot()
            let timestamp = HLCTimestamp(rawValue: try reader.readVarint())
            let author = try reader.readString()
            guard let document = try? DocumentID(try reader.readString()) else { throw ByteReader.malformed("invalid document id") }
            origin = (dot, timestamp, author, document)
        default: throw ByteReader.malformed("bad origin marker")
        }
        let span = try reader.readRegister { reader throws(CoreError) in try reader.readSpan() }
        let label = try reader.readRegister { reader throws(CoreError) in try reader.readString() }
        let note = try reader.readRegister { reader throws(CoreError) in try reader.readString() }
        let review = try reader.readRegister { reader throws(CoreError) in try reader.readReview() }
        var tags: [Tag: MultiValueRegister<Bool>] = [:]
        var previous: Tag?
        for _ in 0..<(try reader.readCount()) {
            let tag = Tag(try reader.readString())
            guard previous.map({ $0 < tag }) ?? true else { throw ByteReader.malformed("tags not sorted and unique") }
            previous = tag
            tags[tag] = try reader.readRegister { _ throws(CoreError) in true }
        }
        let lifecycle = try reader.readRegister { reader throws(CoreError) -> Lifecycle in
            switch try reader.readByte() {
            case 0: return .deleted(seen: try reader.readContext())
            case 1: return .restored
            default: throw ByteReader.malformed("bad lifecycle value")
            }
        }
        let updatedAt = HLCTimestamp(rawValue: try reader.readVarint())
        var completeOrigin: Origin?
        if let origin {
            guard let project = try? ProjectID(try reader.readString()) else { throw ByteReader.malformed("invalid project id") }
            completeOrigin = Origin(dot: origin.dot, timestamp: origin.timestamp, author: origin.author, project: project, document: origin.document)
        }
        try reader.expectEnd()
        self.init(
            id: id, origin: completeOrigin, span: span, label: label, note: note, review: review, tags: tags,
            lifecycle: lifecycle, updatedAt: updatedAt
        )
    }
}

extension ByteWriter {
    mutating func write<Value>(_ register: MultiValueRegister<Value>, value writeValue: (inout ByteWriter, Value) -> Void) {
        write(count: register.entries.count)
        for entry in register.entries {
            write(entry.dot)
            write(varint: entry.timestamp.rawValue)
            write(string: entry.author)
            writeValue(&self, entry.value)
        }
        write(register.context)
    }
}

extension ByteReader {
    mutating func readRegister<Value>(
        value readValue: (inout ByteReader) throws(CoreError) -> Value
    ) throws(CoreError) -> MultiValueRegister<Value> {
        var entries: [MultiValueRegister<Value>.Entry] = []
        for _ in 0..<(try readCount()) {
            let dot = try readDot()
            guard entries.last.map({ $0.dot < dot }) ?? true else { throw Self.malformed("register entries not sorted") }
            let timestamp = HLCTimestamp(rawValue: try readVarint())
            let author = try readString()
            entries.append(.init(dot: dot, timestamp: timestamp, author: author, value: try readValue(&self)))
        }
        let context = try readContext()
        guard entries.allSatisfy({ context.contains($0.dot) }) else { throw Self.malformed("register entry outside its context") }
        return MultiValueRegister(entries: entries, context: context)
    }
}
