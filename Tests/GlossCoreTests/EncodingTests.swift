import GlossCore
import GlossCoreTesting
import PropertyBased
import Testing

@Suite("Canonical encoding")
struct EncodingTests {
    @Test("Property: every operation of a random run round-trips to equal bytes")
    func operationsRoundTrip() async {
        await propertyCheck(count: 30, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
            simulation.run(steps: 150)
            for operation in simulation.known.flatMap(\.values) {
                let bytes = operation.encoded()
                let decoded = try! AnnotationOperation(decoding: bytes)
                #expect(decoded == operation)
                #expect(decoded.encoded() == bytes)
            }
        }
    }

    @Test("Property: every annotation state round-trips to equal bytes")
    func statesRoundTrip() async {
        await propertyCheck(count: 30, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var simulation = NetworkSimulator(seed: seed, replicaCount: 3)
            simulation.run(steps: 200)
            for state in simulation.replicas.flatMap(\.annotations.values) {
                let bytes = state.encoded()
                let decoded = try! AnnotationState(decoding: bytes)
                #expect(decoded == state)
                #expect(decoded.encoded() == bytes)
                #expect(decoded.view == state.view)
            }
        }
    }

    @Test("Property: junk bytes never crash the decoders; they throw a decode error")
    func junkIsRefused() async {
        await propertyCheck(count: 2_000, input: Gen.uint8(in: 0...255).array(of: 0...64)) { bytes in
            for candidate in [bytes, [1] + bytes] {
                do {
                    let operation = try AnnotationOperation(decoding: candidate)
                    #expect(operation.encoded() == candidate, "a decoded value must be canonical")
                } catch {
                    #expect((error as? CoreError)?.code.rawValue.hasPrefix("decode-") == true)
                }
                do {
                    let state = try AnnotationState(decoding: candidate)
                    #expect(state.encoded() == candidate)
                } catch {
                    #expect((error as? CoreError)?.code.rawValue.hasPrefix("decode-") == true)
                }
            }
        }
    }

    @Test("Property: every truncation or single-byte change of a valid operation is refused or canonical")
    func mutationsOfValidOperations() async {
        var simulation = NetworkSimulator(seed: 7, replicaCount: 3)
        simulation.run(steps: 100)
        let samples = simulation.known.flatMap(\.values).map { $0.encoded() }
        await propertyCheck(count: 1_000, input: Gen.int(in: 0...(samples.count - 1)), Gen.int(in: 0...4_000), Gen.uint8(in: 0...255)) { which, position, byte in
            var bytes = samples[which]
            let index = position % bytes.count
            let truncated = Array(bytes[..<index])
            bytes[index] = byte
            for candidate in [truncated, bytes] {
                if let decoded = try? AnnotationOperation(decoding: candidate) { #expect(decoded.encoded() == candidate) }
            }
        }
    }

    @Test("An unknown format version is refused with decode-version")
    func unknownVersion() throws {
        var simulation = NetworkSimulator(seed: 1, replicaCount: 2)
        simulation.run(steps: 5)
        var bytes = try #require(simulation.known.flatMap(\.values).first).encoded()
        bytes[0] = 99
        #expect { try AnnotationOperation(decoding: bytes) } throws: { ($0 as? CoreError)?.code == .decodeVersion }
        var state = try #require(simulation.replicas[0].annotations.values.first).encoded()
        state[0] = 99
        #expect { try AnnotationState(decoding: state) } throws: { ($0 as? CoreError)?.code == .decodeVersion }
    }

    @Test("A non-minimal varint is not canonical")
    func nonMinimalVarint() throws {
        var reader = ByteReader([0x81, 0x00])
        #expect { try reader.readVarint() } throws: { ($0 as? CoreError)?.code == .decodeMalformed }
        var overflow = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02])
        #expect { try overflow.readVarint() } throws: { ($0 as? CoreError)?.code == .decodeMalformed }
        var largest = ByteReader([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(try largest.readVarint() == .max)
    }

    @Test("The digest does not depend on the order operations were merged in")
    func digestIsOrderFree() throws {
        var simulation = NetworkSimulator(seed: 99, replicaCount: 3)
        simulation.run(steps: 300)
        simulation.repair()
        let operations = simulation.known[0].values.sorted { $0.dot < $1.dot }
        var forward = Replica(id: try ReplicaID("x"))
        var backward = Replica(id: try ReplicaID("y"))
        for operation in operations { forward.apply(operation) }
        for operation in operations.reversed() { backward.apply(operation) }
        #expect(forward.digest == backward.digest)
        #expect(forward.digest == simulation.replicas[1].digest)
        #expect(forward.digest.description.count == 64)
    }
}
