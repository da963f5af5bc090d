/// Encoding of the shared building blocks: identities, contexts and field values.
extension ByteWriter {
    mutating func write(_ replica: ReplicaID) { write(string: replica.rawValue) }

    mutating func write(_ dot: Dot) {
        write(dot.replica)
        write(varint: dot.counter)
    }

    mutating func write(_ id: AnnotationID) {
        write(fixed: id.high)
        write(fixed: id.low)
    }

    mutating func write(_ context: CausalContext) {
        write(count: context.vector.entries.count)
        for entry in context.vector.entries {
            write(entry.replica)
            write(varint: entry.counter)
        }
        write(count: context.extras.count)
        for dot in context.extras { write(dot) }
    }

    mutating func write(_ span: Span) {
        write(count: span.start)
        write(count: span.end)
        write(string: span.quote)
        write(string: span.prefix)
        write(string: span.suffix)
    }

    mutating func write(_ review: Review) {
        write(byte: UInt8(ReviewStatus.allCases.firstIndex(of: review.status)!))
        write(string: review.comment)
    }

    mutating func write(_ value: FieldValue) {
        write(byte: UInt8(Field.allCases.firstIndex(of: value.field)!))
        switch value {
        case .span(let span): write(span)
        case .label(let text), .note(let text): write(string: text)
        case .review(let review): write(review)
        }
    }
}

extension ByteReader {
    mutating func readReplica() throws(CoreError) -> ReplicaID {
        try readReplicaID()
    }

    mutating func readDot() throws(CoreError) -> Dot {
        let replica = try readReplica()
        let counter = try readVarint()
        guard counter > 0 else { throw Self.malformed("dot counter 0") }
        return Dot(replica: replica, counter: counter)
    }

    mutating func readAnnotationID() throws(CoreError) -> AnnotationID {
        let high = try readFixed()
        return AnnotationID(high: high, low: try readFixed())
    }

    mutating func readContext() throws(CoreError) -> CausalContext {
        var pairs: [(ReplicaID, UInt64)] = []
        for _ in 0..<(try readCount()) {
            let replica = try readReplica()
            let counter = try readVarint()
            guard counter > 0, pairs.last.map({ $0.0 < replica }) ?? true else {
                throw Self.malformed("version vector not sorted or has a zero counter")
            }
            pairs.append((replica, counter))
        }
        let vector = VersionVector(pairs)
        var dots: [Dot] = []
        for _ in 0..<(try readCount()) { dots.append(try readDot()) }
        let context = CausalContext(vector: vector, dots: dots)
        guard context.extras == dots else { throw Self.malformed("causal context extras not in canonical form") }
        return context
    }

    mutating func readSpan() throws(CoreError) -> Span {
        let start = try readInt()
        let end = try readInt()
        return Span(start: start, end: end, quote: try readString(), prefix: try readString(), suffix: try readString())
    }

    mutating func readReview() throws(CoreError) -> Review {
        let index = Int(try readByte())
        guard index < ReviewStatus.allCases.count else { throw Self.malformed("unknown review status \(index)") }
        return Review(status: ReviewStatus.allCases[index], comment: try readString())
    }

    mutating func readFieldValue() throws(CoreError) -> FieldValue {
        let index = Int(try readByte())
        guard index < Field.allCases.count else { throw Self.malformed("unknown field \(index)") }
        switch Field.allCases[index] {
        case .span: return .span(try readSpan())
        case .label: return .label(try readString())
        case .note: return .note(try readString())
        case .review: return .review(try readReview())
        }
    }
}
