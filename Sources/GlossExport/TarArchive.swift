/// Tar archive entries (POSIX ustar, IEEE Std 1003.1 "pax" format), written as a
/// stream: each ``entry(path:contents:modifiedSeconds:)`` then ``end``. A path
/// longer than ustar's fields hold goes in a pax extended header (`path=`).
public enum TarArchive {
    /// The archive's end: two blocks of zeros.
    public static let end = [UInt8](repeating: 0, count: 1_024)

    /// One regular file, mode 0644, owned by no one in particular.
    public static func entry(path: String, contents: [UInt8], modifiedSeconds: UInt64) -> [UInt8] {
        var bytes: [UInt8] = []
        let name = Array(path.utf8)
        let fits = name.count <= 100
        if !fits {
            // "NN path=VALUE\n", NN counting the whole record, its own digits included.
            let body = " path=\(path)\n"
            var length = body.utf8.count + 1
            while "\(length)".utf8.count + body.utf8.count > length { length += 1 }
            let record = Array("\(length)\(body)".utf8)
            bytes += header(name: Array("PaxHeader/".utf8) + name.suffix(80), size: record.count, type: UInt8(ascii: "x"), modified: modifiedSeconds)
            bytes += padded(record)
        }
        bytes += header(name: fits ? name : Array(name.suffix(100)), size: contents.count, type: UInt8(ascii: "0"), modified: modifiedSeconds)
        bytes += padded(contents)
        return bytes
    }

    private static func padded(_ contents: [UInt8]) -> [UInt8] {
        contents + [UInt8](repeating: 0, count: (512 - contents.count % 512) % 512)
    }

    private static func header(name: [UInt8], size: Int, type: UInt8, modified: UInt64) -> [UInt8] {
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ value: [UInt8], at offset: Int, width: Int) {
            for (index, byte) in value.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: UInt64, width: Int) -> [UInt8] {
            let digits = String(value, radix: 8)
            return Array((String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits).utf8) + [0]
        }
        put(Array(name.prefix(100)), at: 0, width: 100)
        put(octal(0o644, width: 8), at: 100, width: 8)
        put(octal(0, width: 8), at: 108, width: 8)
        put(octal(0, width: 8), at: 116, width: 8)
        put(octal(UInt64(size), width: 12), at: 124, width: 12)
        put(octal(modified, width: 12), at: 136, width: 12)
        put([UInt8](repeating: UInt8(ascii: " "), count: 8), at: 148, width: 8)
        block[156] = type
        put(Array("ustar\u{0}00".utf8), at: 257, width: 8)
        let checksum = block.reduce(0) { $0 + UInt64($1) }
        put(Array(octal(checksum, width: 7)) + [UInt8(ascii: " ")], at: 148, width: 8)
        return block
    }
}
