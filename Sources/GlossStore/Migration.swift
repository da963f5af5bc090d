public import Foundation
import GlossCore

/// One numbered SQL file from `Schema/`, such as `0001_initial.sql`.
public struct Migration: Sendable, Hashable {
    /// The number, from the file name.
    public let version: Int
    /// The name after the number.
    public let name: String
    /// The SQL text.
    public let sql: String
    /// SHA-256 of the SQL text, recorded when applied, so an edited file is noticed.
    public let checksum: String

    /// Creates a migration.
    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        checksum = DocumentText(sql).sha256
    }

    /// Loads every `NNNN_name.sql` file of a folder, in order.
    ///
    /// - Throws: ``StoreError/Code/internalError`` when the folder cannot be read,
    ///   a name is malformed or two files share a number.
    public static func load(from folder: URL) throws(StoreError) -> [Migration] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        } catch {
            throw StoreError(.internalError, "cannot read the schema folder \(folder.path): \(error.localizedDescription)")
        }
        var migrations: [Migration] = []
        for file in names.sorted() where file.hasSuffix(".sql") {
            let stem = file.dropLast(4)
            let parts = stem.split(separator: "_", maxSplits: 1)
            guard parts.count == 2, parts[0].count == 4, let version = Int(parts[0]), version > 0 else {
                throw StoreError(.internalError, "schema file \(file) is not named NNNN_name.sql")
            }
            guard let sql = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8) else {
                throw StoreError(.internalError, "cannot read schema file \(file)")
            }
            migrations.append(Migration(version: version, name: String(parts[1]), sql: sql))
        }
        for (index, migration) in migrations.enumerated() where migration.version != index + 1 {
            throw StoreError(.internalError, "schema files must be numbered 0001, 0002, … without gaps; found \(migration.version) at position \(index + 1)")
        }
        return migrations
    }

    /// The `Schema/` folder: `GLOSS_SCHEMA_DIR` if set, else beside the executable
    /// (`Schema/` or `../share/gloss/Schema/`), else the source checkout this was built from.
    public static func defaultFolder() -> URL {
        if let configured = ProcessInfo.processInfo.environment["GLOSS_SCHEMA_DIR"] {
            return URL(fileURLWithPath: configured)
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            executable.appendingPathComponent("Schema"),
            executable.appendingPathComponent("../share/gloss/Schema").standardized,
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Schema").standardized,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent("0001_initial.sql").path) }
            ?? candidates[candidates.count - 1]
    }
}
