public import Foundation
import GlossCore

/// Where an export stopped: the database it read and the PostgreSQL snapshot it
/// read in. The next export given this cursor returns exactly the annotation
/// rows whose last change that snapshot did not see (see
/// `Schema/0007_export_cursor.sql`), so no change is skipped whatever order
/// several writers' transactions committed in, and none is repeated.
///
/// Its text form is `gloss1-<database token, 32 hex digits>-<database oid>-<xmin>-<xmax>[-<in-progress xid>…]`,
/// letters, digits and `-` only, safe to paste into a shell or a URL.
public struct ExportCursor: Sendable, Hashable, CustomStringConvertible {
    /// The database's export token (`site.export_token`).
    public let database: UUID
    /// The database's object id in its cluster: a dump restored into a new database keeps the
    /// token but gets a new oid (a streaming standby and pg_upgrade keep it).
    public let databaseOID: UInt32
    /// The snapshot's xmin: every transaction below it had ended.
    public let xmin: UInt64
    /// The snapshot's xmax: no transaction at or above it was seen.
    public let xmax: UInt64
    /// Transactions in progress when the snapshot was taken (between xmin and xmax), ascending.
    public let inProgress: [UInt64]

    /// A cursor; `inProgress` is sorted.
    public init(database: UUID, databaseOID: UInt32, xmin: UInt64, xmax: UInt64, inProgress: [UInt64]) {
        self.database = database
        self.databaseOID = databaseOID
        self.xmin = xmin
        self.xmax = xmax
        self.inProgress = inProgress.sorted()
    }

    private static let prefix = "gloss1"

    /// Reads the text form.
    ///
    /// - Throws: ``StoreError/Code/invalidCursor`` naming what is wrong.
    public init(_ text: String) throws(StoreError) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard text.utf8.count <= 100_000, parts.count >= 5, parts[0] == Self.prefix else {
            throw StoreError(.invalidCursor, "\(Excerpt.quoted(text)) is not an export cursor: give the cursor a previous export ended with (it starts with \(Self.prefix)-)")
        }
        guard parts[1].utf8.count == 32, let database = Self.uuid(fromHex: parts[1]) else {
            throw StoreError(.invalidCursor, "the cursor's database token \(Excerpt.quoted(parts[1])) is not 32 hex digits")
        }
        var numbers: [UInt64] = []
        for part in parts[2...] {
            guard !part.isEmpty, part.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                part == "0" || !part.hasPrefix("0"), let number = UInt64(part)
            else {
                throw StoreError(.invalidCursor, "the cursor holds \(Excerpt.quoted(part)) where a transaction number belongs")
            }
            numbers.append(number)
        }
        guard let oid = UInt32(exactly: numbers[0]) else {
            throw StoreError(.invalidCursor, "the cursor's database oid \(numbers[0]) is out of range: it was altered")
        }
        let (xmin, xmax, inProgress) = (numbers[1], numbers[2], Array(numbers[3...]))
        guard xmin >= 1, xmin <= xmax, inProgress.allSatisfy({ $0 >= xmin && $0 < xmax }), zip(inProgress, inProgress.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw StoreError(.invalidCursor, "the cursor's snapshot is not consistent (xmin \(xmin), xmax \(xmax)): it was altered")
        }
        self.init(database: database, databaseOID: oid, xmin: xmin, xmax: xmax, inProgress: inProgress)
    }

    /// The snapshot in PostgreSQL's `pg_snapshot` text form, `xmin:xmax:xip,…`.
    public var snapshot: String {
        "\(xmin):\(xmax):" + inProgress.map(String.init).joined(separator: ",")
    }

    /// Reads PostgreSQL's `pg_snapshot` text form.
    init?(database: UUID, databaseOID: UInt32, snapshot: String) {
        let parts = snapshot.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, let xmin = UInt64(parts[0]), let xmax = UInt64(parts[1]) else { return nil }
        let inProgress = parts[2].isEmpty ? [] : parts[2].split(separator: ",").compactMap { UInt64($0) }
        self.init(database: database, databaseOID: databaseOID, xmin: xmin, xmax: xmax, inProgress: inProgress)
    }

    public var description: String {
        ([Self.prefix, database.uuidString.replacingOccurrences(of: "-", with: "").lowercased(), String(databaseOID), String(xmin), String(xmax)]
            + inProgress.map(String.init)).joined(separator: "-")
    }

    private static func uuid(fromHex hex: Substring) -> UUID? {
        let digits = Array(hex.lowercased().utf8)
        guard digits.allSatisfy({ ($0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9")) || ($0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "f")) }) else {
            return nil
        }
        let text = String(decoding: digits, as: UTF8.self)
        let dashed = [text.prefix(8), text.dropFirst(8).prefix(4), text.dropFirst(12).prefix(4), text.dropFirst(16).prefix(4), text.dropFirst(20)]
            .joined(separator: "-")
        return UUID(uuidString: dashed)
    }
}
