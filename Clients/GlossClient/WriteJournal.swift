public import Foundation

/// Writes whose outcome is unknown (the server was away, the connection dropped
/// before the answer), kept on disk until a server answers them: one JSON file
/// per write in a folder of the client's (one folder per profile).
///
/// A write is recorded before it is first sent, and removed once the server has
/// answered it, with success or a refusal. Files are written to a temporary name,
/// flushed to disk and renamed, so a crash leaves either the old file or the new
/// one, never half of one.
///
/// A pending write that a later command got answered moves to `answered/` with
/// its answer, for ``answerRetention``: whoever runs the first command again in
/// that time (not knowing another command already sent it) gets that answer
/// instead of writing twice.
public struct WriteJournal: Sendable {
    /// How long the answers of pending writes sent by a later command are kept: 24 hours.
    public static let answerRetention: Duration = .seconds(86_400)

    /// The folder holding the pending writes.
    public let folder: URL

    /// A journal in `folder` (created when the first write is recorded).
    public init(folder: URL) {
        self.folder = folder
    }

    private var answeredFolder: URL { folder.appendingPathComponent("answered") }

    /// Every pending write, oldest first. Files that do not decode are skipped (and left in place).
    public func pending() -> [PendingWrite] {
        Self.writes(in: folder)
    }

    /// The answered write of the same request as `identity` for `server`, if one was
    /// answered within ``answerRetention``. Older answers are removed.
    public func answered(sameAs identity: String, server: String, now: Date = Date()) -> PendingWrite? {
        var found: PendingWrite?
        for write in Self.writes(in: answeredFolder) {
            if let answered = write.answered, now.timeIntervalSince(answered) > Double(Self.answerRetention.components.seconds) {
                try? FileManager.default.removeItem(at: Self.file(of: write.key, in: answeredFolder))
            } else if write.request == identity, write.server == server {
                found = write
            }
        }
        return found
    }

    /// Records that a pending write was answered with `answer` (the server's `OK` line):
    /// it leaves the pending writes and is kept with its answer for ``answerRetention``.
    ///
    /// - Throws: the file system's error when it cannot be written (the write then stays pending).
    public func markAnswered(_ write: PendingWrite, answer: String, at date: Date = Date()) throws {
        var done = write
        done.answer = answer
        done.answered = date
        try Self.store(done, in: answeredFolder)
        remove(key: write.key)
    }

    private static func writes(in folder: URL) -> [PendingWrite] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        let decoder = Self.decoder
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return nil }
            return try? decoder.decode(PendingWrite.self, from: data)
        }.sorted { ($0.created, $0.key) < ($1.created, $1.key) }
    }

    /// What became of an earlier run of the same request: still pending, or answered.
    public enum Earlier: Sendable {
        /// Still pending (perhaps being sent by another command right now): send it again, under its key.
        case pending(PendingWrite)
        /// Answered (by another command, since): its answer.
        case answered(PendingWrite)
    }

    /// The earlier run of the same request as `identity` for `server`, if any.
    ///
    /// Pending writes are looked at first: ``markAnswered(_:answer:at:)`` stores
    /// the answer before it removes the pending write, so looking in this order a
    /// write being answered by another command at this moment is always found, in
    /// one place or the other; the other order could miss it in between and send
    /// the request again under a new key.
    public func earlier(sameAs identity: String, server: String, now: Date = Date()) -> Earlier? {
        if let write = pending(sameAs: identity, server: server) { return .pending(write) }
        return answered(sameAs: identity, server: server, now: now).map(Earlier.answered)
    }

    /// The pending write of the same request as `identity` for `server`, if there is one.
    public func pending(sameAs identity: String, server: String) -> PendingWrite? {
        pending().first { $0.request == identity && $0.server == server }
    }

    /// Records (or updates) a pending write, durably.
    ///
    /// - Throws: the file system's error when it cannot be written.
    public func record(_ write: PendingWrite) throws {
        try Self.store(write, in: folder)
    }

    private static func store(_ write: PendingWrite, in folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let final = file(of: write.key, in: folder)
        let temporary = folder.appendingPathComponent(".\(Self.fileName(of: write.key)).\(UUID().uuidString).tmp")
        let data = try Self.encoder.encode(write)
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        let handle = try FileHandle(forWritingTo: temporary)
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        guard rename(temporary.path, final.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: final.path])
        }
        syncFolder(folder)
    }

    /// Forgets a pending write (answered by the server, or given up).
    public func remove(key: String) {
        try? FileManager.default.removeItem(at: Self.file(of: key, in: folder))
        Self.syncFolder(folder)
    }

    private static func file(of key: String, in folder: URL) -> URL {
        folder.appendingPathComponent(fileName(of: key) + ".json")
    }

    /// Keys are the client's own (`cli-<uuid>`); anything else is made safe for a file name.
    private static func fileName(of key: String) -> String {
        String(key.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") ? Character($0) : "_" })
    }

    /// Flushes the folder's entries (the rename) to disk.
    private static func syncFolder(_ folder: URL) {
        let descriptor = open(folder.path, O_RDONLY)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        return encoder
    }

    private static var decoder: JSONDecoder { JSONDecoder() }
}
