import GlossCore
import NIOCore

/// The operation log's rows in PostgreSQL's `COPY … FROM STDIN` text format, for
/// storing a large batch from a peer site in one stream instead of a statement
/// of arrays (see ``GroupCommitter``).
///
/// Columns, in ``columns`` order: origin, counter, timestamp (the HLC's 64 bits
/// as a signed bigint), annotation id (a uuid in lower-case hex), kind, and the
/// canonical encoding as `bytea` hex. Origins and kinds hold only letters,
/// digits, `.`, `_` and `-`, so no value needs the format's escapes except the
/// hex's own backslash.
enum OperationCopyRows {
    /// The columns the rows fill, in order.
    static let columns = ["origin", "counter", "hlc", "annotation_id", "kind", "body"]

    private static let hexDigits = Array("0123456789abcdef".utf8)
    private static let tab = UInt8(ascii: "\t")

    /// The rows of `operations`.
    static func rows(_ operations: [AnnotationOperation]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(operations.count * 320)
        for operation in operations {
            let body = operation.encoded()
            buffer.writeString(operation.dot.replica.rawValue)
            buffer.writeInteger(tab)
            writeDecimal(operation.dot.counter, negative: false, to: &buffer)
            buffer.writeInteger(tab)
            let timestamp = Int64(bitPattern: operation.timestamp.rawValue)
            writeDecimal(timestamp.magnitude, negative: timestamp < 0, to: &buffer)
            buffer.writeInteger(tab)
            writeUUID(operation.annotation, to: &buffer)
            buffer.writeInteger(tab)
            buffer.writeString(operation.kind)
            // `\\x` in the text format is the bytea hex prefix `\x`.
            buffer.writeString("\t\\\\x")
            writeHex(body, to: &buffer)
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        return buffer
    }

    private static func writeDecimal(_ value: UInt64, negative: Bool, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 21) { target in
            var length = 0
            var rest = value
            repeat {
                length += 1
                rest /= 10
            } while rest > 0
            var index = negative ? 1 : 0
            if negative { target[0] = UInt8(ascii: "-") }
            rest = value
            for position in stride(from: index + length - 1, through: index, by: -1) {
                target[position] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            }
            index += length
            return index
        }
    }

    /// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` from the id's 128 bits, high first.
    private static func writeUUID(_ id: AnnotationID, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 36) { target in
            var index = 0
            for (half, bits) in [(id.high, 0), (id.low, 64)] {
                for nibble in 0..<16 {
                    let position = bits / 4 + nibble
                    if position == 8 || position == 12 || position == 16 || position == 20 {
                        target[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    target[index] = hexDigits[Int((half >> UInt64(60 - 4 * nibble)) & 0x0F)]
                    index += 1
                }
            }
            return index
        }
    }

    private static func writeHex(_ bytes: some Collection<UInt8>, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 2 * bytes.count) { target in
            var index = 0
            for byte in bytes {
                target[index] = hexDigits[Int(byte >> 4)]
                target[index + 1] = hexDigits[Int(byte & 0x0F)]
                index += 2
            }
            return index
        }
    }
}
