/// The canonical binary form of an operation, the same bytes on the wire, in
/// PostgreSQL and in digests. The first byte is the format version.
///
/// Version 2 added the project of a create's document, written last (after the
/// tags), so that version 1 bytes upgrade by appending it (Schema/0004 does).
extension AnnotationOperation {
    /// The format version written by this build.
    public static let encodingVersion: UInt8 = 2

    private enum PayloadTag: UInt8 {
        case create = 1, set, resolve, addTag, removeTag, delete, restore
    }

    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        var writer = ByteWriter()
        writer.write(byte: Self.encodingVersion)
        writer.write(dot)
        writer.write(varint: timestamp.rawValue)
        writer.write(string: author)
        writer.write(annotation)
        writer.write(context)
        switch payload {
        case .create(let seed):
            writer.write(byte: PayloadTag.create.rawValue)
            writer.write(string: seed.document.rawValue)
            writer.write(seed.span)
            writer.write(string: seed.label)
            writer.write(string: seed.note)
            writer.write(count: seed.tags.count)
            for tag in seed.tags { writer.write(string: tag) }
            writer.write(string: seed.project.rawValue)
        case .set(let value):
            writer.write(byte: PayloadTag.set.rawValue)
            writer.write(value)
        case .resolve(let value):
            writer.write(byte: PayloadTag.resolve.rawValue)
            writer.write(value)
        case .addTag(let tag):
            writer.write(byte: PayloadTag.addTag.rawValue)
            writer.write(string: tag)
        case .removeTag(let tag):
            writer.write(byte: PayloadTag.removeTag.rawValue)
            writer.write(string: tag)
        case .delete:
            writer.write(byte: PayloadTag.delete.rawValue)
        case .restore:
            writer.write(byte: PayloadTag.restore.rawValue)
        }
        return writer.bytes
    }

    /// Decodes the canonical encoding; any other bytes are refused.
    ///
    /// - Throws: ``CoreError/Code/decodeTruncated``, ``CoreError/Code/decodeVersion``
    ///   or ``CoreError/Code/decodeMalformed``. Call ``validate()`` afterwards for limits.
    public init(decoding bytes: [UInt8]) throws(CoreError) {
        var reader = ByteReader(bytes)
        let version = try reader.readByte()
        guard version == Self.encodingVersion else {
            throw CoreError(.decodeVersion, "operation encoding version \(version) is not supported (this build reads version \(Self.encodingVersion))")
        }
        dot = try reader.readDot()
        timestamp = HLCTimestamp(rawValue: try reader.readVarint())
        author = try reader.readString()
        annotation = try reader.readAnnotationID()
        context = try reader.readContext()
        guard let tag = PayloadTag(rawValue: try reader.readByte()) else { throw ByteReader.malformed("unknown operation kind") }
        switch tag {
        case .create:
            let documentText = try reader.readString()
            guard let document = try? DocumentID(documentText) else { throw ByteReader.malformed("invalid document id") }
            let span = try reader.readSpan()
            let label = try reader.readString()
            let note = try reader.readString()
            var tags: [String] = []
            for _ in 0..<(try reader.readCount()) {
                let tag = try reader.readString()
                guard tags.last.map({ Tag($0) < Tag(tag) }) ?? true else { throw ByteReader.malformed("tags not sorted and unique") }
                tags.append(tag)
            }
            guard let project = try? ProjectID(try reader.readString()) else { throw ByteReader.malformed("invalid project id") }
            payload = .create(AnnotationSeed(project: project, document: document, span: span, label: label, note: note, tags: tags))
        case .set: payload = .set(try reader.readFieldValue())
        case .resolve: payload = .resolve(try reader.readFieldValue())
        case .addTag: payload = .addTag(try reader.readString())
        case .removeTag: payload = .removeTag(try reader.readString())
        case .delete: payload = .delete
        case .restore: payload = .restore
        }
        try reader.expectEnd()
    }
}
