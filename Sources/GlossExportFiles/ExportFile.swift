import Foundation

/// Where an export's bytes go: standard output, or a file that appears only when
/// complete (written beside it under a hidden name, flushed to disk, then renamed
/// over it), so a reader never sees half an export and an interrupted one leaves
/// nothing at the name asked for.
///
/// What is at the name is respected: a symbolic link stays a link (its target is
/// replaced), a FIFO or a device (`/dev/stdout`, a named pipe) is written straight
/// to, a file replaced keeps its permissions, and a new file gets 0666 less the umask.
/// A folder, a read-only file or an empty name is refused before the export begins.
public final class ExportFile {
    private let descriptor: Int32
    /// Where the bytes go, as messages name it: the path asked for, or "standard output".
    private let name: String
    private let temporary: String?
    private let destination: String?
    private var buffer: [UInt8] = []
    private var flushedBytes = 0

    /// Writes to `path`, or to standard output when nil.
    ///
    /// - Throws: ``ExportFileError`` saying what to change when `path` is empty, a folder,
    ///   read-only, a link to nothing, or in a folder where no file can be created.
    public init(path: String?) throws {
        guard let path else {
            (descriptor, name, temporary, destination) = (STDOUT_FILENO, "standard output", nil, nil)
            return
        }
        guard !path.isEmpty else { throw ExportFileError("--output needs a file name") }
        var target = path
        var found = stat()
        if lstat(path, &found) == 0, found.st_mode & S_IFMT == S_IFLNK {
            guard let resolved = realpath(path, nil) else {
                throw ExportFileError("\(path) is a symbolic link to nothing (\(String(cString: strerror(errno)))); point it at a file or remove it")
            }
            target = String(cString: resolved)
            free(resolved)
        }
        var mode: mode_t = 0o666
        if stat(target, &found) == 0 {
            switch found.st_mode & S_IFMT {
            case S_IFDIR:
                throw ExportFileError("\(path) is a folder: name a file in it, such as \(path.hasSuffix("/") ? path : path + "/")annotations.jsonl")
            case S_IFREG:
                guard found.st_mode & 0o222 != 0, access(target, W_OK) == 0 else {
                    throw ExportFileError("\(path) is read-only and is not replaced; make it writable, remove it, or name another file")
                }
                mode = found.st_mode & 0o7777
            default:
                // A FIFO, a device or a socket: there is no file to put in place, so the bytes go straight there.
                let opened = open(target, O_WRONLY | O_CLOEXEC)
                guard opened >= 0 else { throw ExportFileError("cannot open \(path) for writing: \(String(cString: strerror(errno)))") }
                (descriptor, name, temporary, destination) = (opened, path, nil, nil)
                return
            }
        }
        let url = URL(fileURLWithPath: target)
        let hidden = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        let created = open(hidden, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard created >= 0 else {
            throw ExportFileError(
                "cannot create a file in \(url.deletingLastPathComponent().path): \(String(cString: strerror(errno))) (does the folder exist, and may you write there?)"
            )
        }
        // A file replaced keeps its permissions exactly; open applied the umask to them.
        if mode != 0o666 { fchmod(created, mode) }
        (descriptor, name, temporary, destination) = (created, path, hidden, target)
    }

    /// Goes on writing the hidden partial file `partial` of an interrupted export to `destination`.
    ///
    /// - Throws: ``ExportFileError`` naming the file when it cannot be opened for writing.
    public init(resuming partial: String, destination: String) throws {
        let opened = open(partial, O_WRONLY | O_APPEND | O_CLOEXEC)
        guard opened >= 0 else { throw ExportFileError("cannot open \(partial) to go on writing it: \(String(cString: strerror(errno)))") }
        (descriptor, name, temporary, self.destination) = (opened, destination, partial, destination)
        // What the interrupted export wrote counts: this file is never empty.
        flushedBytes = max(Int(lseek(opened, 0, SEEK_END)), 1)
    }

    /// Whether nothing was written yet (an export that failed before its first bytes leaves nothing to resume).
    public var isEmpty: Bool { buffer.isEmpty && flushedBytes == 0 }

    /// Where the partial file is, when writing to one.
    public var partialPath: String? { temporary }

    /// Writes what is buffered and closes the file, leaving it in place to be resumed.
    public func suspend() {
        try? flush()
        fsync(descriptor)
        close(descriptor)
    }

    /// Appends bytes, writing them out in pieces of about 1 MiB.
    ///
    /// - Throws: ``ExportWriteError`` when the bytes cannot be written (a full disk, a closed pipe).
    public func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    private func flush() throws {
        var written = 0
        while written < buffer.count {
            let result = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw ExportWriteError(errno: errno, name: name)
            }
            written += result
        }
        flushedBytes += written
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes what is buffered, makes the file durable and puts it at its name.
    ///
    /// - Throws: ``ExportWriteError`` when the last bytes cannot be written or made durable;
    ///   ``ExportFileError`` when the file cannot be renamed to its name.
    public func finish() throws {
        try flush()
        guard let temporary, let destination else { return }
        guard fsync(descriptor) == 0 else { throw ExportWriteError(errno: errno, name: name) }
        close(descriptor)
        guard rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw ExportFileError("cannot put the export at \(destination): \(reason)")
        }
    }

    /// Removes the unfinished file (after a failure).
    public func abandon() {
        guard let temporary else { return }
        close(descriptor)
        unlink(temporary)
    }
}

/// A file an export cannot write, with what to check.
public struct ExportFileError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Bytes of the export that could not be written, in words (exit status 74).
public struct ExportWriteError: Error, CustomStringConvertible {
    public let description: String

    public init(errno code: Int32, name: String) {
        description =
            code == EPIPE
            ? "\(name) was closed before the export ended (broken pipe)"
            : "cannot write the export to \(name): \(String(cString: strerror(code)))"
    }
}
