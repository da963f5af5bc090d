import Foundation
import GlossCore
import GlossStore
import GlossTestSupport
import Testing

@Suite("Where glossd export writes, and what it refuses before it begins")
struct ExportOutputTests {
    /// Runs `glossd export` through bash, with `setup` run first in `folder` (umask, descriptors).
    static func shell(_ setup: String, _ arguments: [String], in folder: URL) async throws -> (status: Int32, output: String) {
        let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let script = "cd '\(folder.path)' && \(setup) '\(Binaries.path("glossd"))' export \(quoted); echo \"status=$?\""
        let result = try await Binaries.run(executable: "/bin/bash", ["-c", script])
        let status = result.output.split(separator: "\n").last.flatMap { $0.hasPrefix("status=") ? Int32($0.dropFirst(7)) : nil } ?? -1
        return (status, result.output + result.error)
    }

    @Test("Links, FIFOs, devices, permissions and the umask are respected; a folder, a read-only file, an empty name, a bad database URL, an unknown project or document and a zero cursor are refused before anything is written; a full disk and a closed pipe are told in words")
    func outputs() async throws {
        try await withTestDatabase { database in
            try await database.withStore { store in
                try await store.putDocument(sampleDocument)
                let seed = AnnotationSeed(
                    project: sampleDocument.project, document: sampleDocument.id, span: try sampleDocument.text.span(start: 0, end: 7), label: "PERSON"
                )
                _ = try await store.perform(.create(seed), on: AnnotationID.random(), by: "ana")
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gloss-output-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let common = ["--database-url", database.url]
            func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
            func mode(_ name: String) throws -> Int {
                let attributes = try FileManager.default.attributesOfItem(atPath: path(name))
                return try #require(attributes[.posixPermissions] as? Int)
            }
            func type(_ name: String) throws -> FileAttributeType? {
                try FileManager.default.attributesOfItem(atPath: path(name))[.type] as? FileAttributeType
            }

            // A new file gets 0666 less the umask; a file replaced keeps its mode.
            let private_ = try await Self.shell("umask 077;", ["-o", "private.jsonl"] + common, in: folder)
            #expect(private_.status == 0, "\(private_.output)")
            #expect(try mode("private.jsonl") == 0o600)
            try Data("old".utf8).write(to: URL(fileURLWithPath: path("shared.jsonl")))
            try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: path("shared.jsonl"))
            #expect(try await Self.shell("umask 022;", ["-o", "shared.jsonl"] + common, in: folder).status == 0)
            #expect(try mode("shared.jsonl") == 0o640)
            #expect(try String(contentsOfFile: path("shared.jsonl"), encoding: .utf8).contains(#""type":"end""#))

            // A symbolic link stays a link; its target gets the export.
            try FileManager.default.createSymbolicLink(atPath: path("link.jsonl"), withDestinationPath: "shared.jsonl")
            let linked = try await GlossdCommandTests.run(["export", "--label", "PERSON", "-o", path("link.jsonl")] + common)
            #expect(linked.status == 0, "\(linked.output)")
            #expect(try type("link.jsonl") == .typeSymbolicLink)
            #expect(try String(contentsOfFile: path("shared.jsonl"), encoding: .utf8).contains(#""label":"PERSON""#))
            try FileManager.default.createSymbolicLink(atPath: path("nowhere.jsonl"), withDestinationPath: "missing/x.jsonl")
            let toNothing = try await GlossdCommandTests.run(["export", "-o", path("nowhere.jsonl")] + common)
            #expect(toNothing.status == 64 && toNothing.output.contains("symbolic link to nothing"), "\(toNothing.output)")

            // A FIFO is written straight to, and stays a FIFO.
            #expect(mkfifo(path("pipe"), 0o600) == 0)
            let fifoPath = path("pipe")
            let reader = Task.detached { try #require(FileHandle(forReadingAtPath: fifoPath)).readDataToEndOfFile() }
            let piped = try await GlossdCommandTests.run(["export", "-o", path("pipe")] + common, limitSeconds: 60)
            #expect(piped.status == 0, "\(piped.output)")
            #expect(String(decoding: try await reader.value, as: UTF8.self).contains(#""type":"end""#))
            let kind = try await Binaries.run(executable: "/bin/bash", ["-c", "[ -p '\(path("pipe"))' ] && echo fifo"])
            #expect(kind.output.contains("fifo"), "still a FIFO")

            // A full disk and a closed pipe: words and status 74, nothing left behind.
            let full = try await GlossdCommandTests.run(["export", "-o", "/dev/full"] + common)
            #expect(full.status == 74 && full.output.contains("cannot write the export to /dev/full: No space left on device"), "\(full.output)")
            let broken = try await Binaries.run(
                executable: "/bin/bash",
                ["-c", "cd '\(folder.path)' && exec 3<>pipe 4>pipe 3<&- && '\(Binaries.path("glossd"))' export --database-url '\(database.url)' >&4; echo \"status=$?\""]
            )
            #expect(broken.output.contains("status=74") && broken.error.contains("standard output was closed before the export ended (broken pipe)"), "\(broken.output)\(broken.error)")
            #expect(!(full.output + broken.error).contains("NSCocoaErrorDomain"))

            // Refused before the export begins: nothing is created.
            let before = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
            try FileManager.default.createDirectory(atPath: path("dir"), withIntermediateDirectories: false)
            try Data("keep".utf8).write(to: URL(fileURLWithPath: path("locked.jsonl")))
            try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: path("locked.jsonl"))
            let refusals: [([String], Int32, String)] = [
                (["-o", path("dir")] + common, 64, "is a folder: name a file in it"),
                (["-o", ""] + common, 64, "--output needs a file name"),
                (["-o", path("locked.jsonl")] + common, 64, "is read-only and is not replaced"),
                (["-o", path("x.jsonl"), "--database-url", "mysql://nope"], 64, "postgres://"),
                (["-o", path("x.jsonl"), "--project", "nwes"] + common, 65, "no project 'nwes' in this database"),
                (["-o", path("x.jsonl"), "--project", sampleDocument.project.rawValue, "--document", "nope"] + common, 65, "no document 'nope'"),
                (["-o", path("x.jsonl"), "--since", "gloss1-" + String(repeating: "0", count: 32) + "-1-0-0"] + common, 64, "snapshot is not consistent"),
            ]
            for (arguments, status, words) in refusals {
                let refused = try await GlossdCommandTests.run(["export"] + arguments)
                #expect(refused.status == status && refused.output.contains(words), "\(arguments): \(refused.output)")
                #expect(!refused.output.contains("ExitCode") && !refused.output.contains("Error Domain"), "\(refused.output)")
            }
            #expect(try String(contentsOfFile: path("locked.jsonl"), encoding: .utf8) == "keep")
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == (before + ["dir", "locked.jsonl"]).sorted())
        }
    }
}
