import Foundation

/// Where an export's bytes go: standard output, or a file that appears only when
/// complete (written beside it under a hidden name, flushed to disk, then renamed
/// over it), so a reader never sees half an export and an interrupted one leaves
/// nothing at the name asked for.
final class ExportFile {
    private let handle: FileHandle
    private let temporary: String?
    private let destination: String?
    private var buffer: [UInt8] = []

    /// Writes to `path`, or to standard output when nil.
    ///
    /// - Throws: an error naming the folder when the file cannot be created there.
    init(path: String?) throws {
        guard let path else {
            (handle, temporary, destination) = (FileHandle.standardOutput, nil, nil)
            return
        }
        let url = URL(fileURLWithPath: path)
        let hidden = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        guard FileManager.default.createFile(atPath: hidden, contents: nil, attributes: [.posixPermissions: 0o644]),
            let handle = FileHandle(forWritingAtPath: hidden)
        else {
            throw ExportFileError("cannot create a file in \(url.deletingLastPathComponent().path) (does the folder exist, and may glossd write there?)")
        }
        (self.handle, temporary, destination) = (handle, hidden, path)
    }

    /// Goes on writing the hidden partial file `partial` of an interrupted export to `destination`.
    ///
    /// - Throws: an error naming the file when it cannot be opened for writing.
    init(resuming partial: String, destination: String) throws {
        guard let handle = FileHandle(forWritingAtPath: partial) else { throw ExportFileError("cannot open \(partial) to go on writing it") }
        try handle.seekToEnd()
        (self.handle, self.temporary, self.destination) = (handle, partial, destination)
    }

    /// Where the partial file is, when writing to one.
    var partialPath: String? { temporary }

    /// Writes what is buffered and closes the file, leaving it in place to be resumed.
    func suspend() {
        try? flush()
        try? handle.synchronize()
        try? handle.close()
    }

    /// Appends bytes, writing them out in pieces of about 1 MiB.
    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, makes the file durable and puts it at its name.
    func finish() throws {
        try flush()
        guard let temporary, let destination else { return }
        try handle.synchronize()
        try handle.close()
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ExportFileError("cannot put the export at \(destination): \(reason)")
        }
    }

    /// Removes the unfinished file (after a failure).
    func abandon() {
        guard let temporary else { return }
        try? handle.close()
        unlink(temporary)
    }
}

/// A file an export cannot write, with what to check.
struct ExportFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
