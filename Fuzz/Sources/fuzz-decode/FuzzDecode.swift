import FuzzSupport
import GlossCore

/// Fuzzes the canonical binary encodings with arbitrary bytes, as a peer or a
/// damaged database row could present them:
///
/// - `AnnotationOperation(decoding:)` and `AnnotationState(decoding:)` refuse bad
///   bytes with an error, never a crash;
/// - the encoding is canonical: whatever decodes re-encodes to exactly the input bytes;
/// - `validate()` runs on every decoded operation, and a valid one applies to an empty
///   state whose encoding decodes back to the same state and bytes.
@main
enum FuzzDecode {
    static func main() { runFuzzer(LLVMFuzzerTestOneInput) }
}

/// One input: bytes read as an operation and as an annotation state.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(inputBytes(data, size))
    if let operation = try? AnnotationOperation(decoding: bytes) {
        let encoded = operation.encoded()
        require(encoded == bytes, "operation \(shown(operation)) re-encodes to \(encoded.count) other bytes (input \(bytes.count))")
        if (try? operation.validate()) != nil {
            var state = AnnotationState(id: operation.annotation)
            state.apply(operation)
            checkState(state.encoded(), original: state)
        }
    }
    if let state = try? AnnotationState(decoding: bytes) {
        let encoded = state.encoded()
        require(encoded == bytes, "state \(shown(state.id)) re-encodes to \(encoded.count) other bytes (input \(bytes.count))")
    }
    return 0
}

/// Checks that a state's encoding decodes to the same state and the same bytes.
func checkState(_ bytes: [UInt8], original: AnnotationState) {
    do {
        let decoded = try AnnotationState(decoding: bytes)
        require(decoded == original, "state \(shown(original.id)) decodes to another state")
        require(decoded.encoded() == bytes, "state \(shown(original.id)) re-encodes to other bytes")
    } catch {
        fatalError("invariant violated: the encoding of state \(shown(original.id)) does not decode: \(error)")
    }
}
