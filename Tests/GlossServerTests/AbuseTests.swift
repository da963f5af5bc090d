import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// Users and attackers doing what they should not: each attempt is refused with its documented code, and other sessions carry on.
@Suite("Abuse", .timeLimit(.minutes(3)))
struct AbuseTests {
    /// One write request per write verb, on `annotation` of news/article.
    static func writes(on annotation: String) -> [String] {
        [
            "DOC-PUT project=news id=new title=T text=x", "ADD doc=article start=0 end=5", "SET id=\(annotation) note=x",
            "RESOLVE id=\(annotation) label=x", "TAG id=\(annotation) tag=x", "UNTAG id=\(annotation) tag=x", "DELETE id=\(annotation)",
            "RESTORE id=\(annotation)", "REVIEW id=\(annotation) status=accepted",
        ]
    }

    @Test("A reader trying every write verb gets forbidden; an analyst reviewing gets forbidden; nothing is written")
    func readerWrites() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let id = try #require(try await ana.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5)))).reply["id"])
            let rita = try await server.connect(as: "rita")
            for (index, write) in Self.writes(on: id).enumerated() {
                #expect(await BadInputTests.code(rita, "r\(index) \(write)", tag: "r\(index)") == "forbidden", "\(write)")
            }
            #expect(await BadInputTests.code(ana, "a1 REVIEW id=\(id) status=accepted", tag: "a1") == "forbidden")
            #expect(await BadInputTests.code(ana, "a2 RESOLVE id=\(id) status=accepted", tag: "a2") == "forbidden")
            let stored = try await server.database.count("SELECT count(*) FROM operations")
            #expect(stored == 1, "only ana's create was written")
            for connection in [ana, rita] { await connection.close() }
        }
    }

    @Test("A user of another project trying every verb on news gets not-found, exactly as for data that does not exist")
    func otherProjectsData() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let id = try #require(try await ana.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5)))).reply["id"])
            let sam = try await server.connect(as: "sam")
            let absent = "00000000-0000-4000-8000-00000000abcd"
            var requests = Self.writes(on: id).dropFirst(2).map { $0 } + [
                "GET id=\(id)", "DOC-GET id=article project=news", "DOC-LIST project=news", "LIST project=news", "LIST doc=article project=news",
                "CONFLICTS project=news", "SUBSCRIBE project=news", "SUBSCRIBE doc=article project=news", "ADD doc=article project=news start=0 end=5",
            ]
            requests.append("DOC-PUT project=news id=mine title=T text=x")
            for (index, request) in requests.enumerated() {
                let seen = await HardeningTests.error(sam, "s\(index) \(request)", tag: "s\(index)")
                #expect(seen?.code == "not-found", "\(request): \(seen.map(\.description) ?? "OK")")
                if request.contains(id) {
                    let unseen = await HardeningTests.error(sam, "u\(index) \(request.replacingOccurrences(of: id, with: absent))", tag: "u\(index)")
                    #expect(seen?.message.replacingOccurrences(of: id, with: absent) == unseen?.message, "\(request) answers as for an absent id")
                }
            }
            for connection in [ana, sam] { await connection.close() }
        }
    }

    /// One scalar of every Unicode general category that a Swift string can hold, and SQL and shell metacharacters.
    static let hostileValues: [String] = [
        "A", "a", "ǅ", "ʰ", "東", "\u{301}", "\u{903}", "\u{20DD}", "٣", "Ⅻ", "½", "_", "‐", "(", ")", "«", "»", "!", "+", "€", "^", "©",
        "\u{3000}", "\u{2028}", "\u{2029}", "\u{1B}[2J", "\u{85}", "\u{200B}", "\u{202E}", "\u{E000}", "\u{F0000}", "\u{378}", "\u{10FFFF}",
        "'; DROP TABLE annotations; --", "\" OR 1=1 --", "%_\\", "$$ $1 $tag$", "' || pg_sleep(5) || '", "\\x00", "`rm -rf /`", "\u{FEFF}",
        "👩\u{200D}👩\u{200D}👧", "🇯🇵",
    ]

    @Test("SQL metacharacters and every Unicode category in every text field are stored and read back exactly, or refused with their code")
    func hostileValuesEverywhere() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let rev = try await server.connect(as: "rev")
            let document = DocumentReference(try DocumentID("article"))
            for (index, value) in Self.hostileValues.enumerated() {
                let reply = try await ana.send(.add(NewAnnotation(document: document, target: .offsets(start: index % 50, end: index % 50 + 3), label: value, note: value))).reply
                let id = try AnnotationID(try #require(reply["id"]))
                _ = try await rev.send(.review(id, Review(status: .rejected, comment: value)))
                let tagged = await BadInputTests.code(ana, LinePrinter.print(Request(tag: "t\(index)", command: .tag(id, [value])).line) , tag: "t\(index)")
                let tagAllowed = !value.unicodeScalars.contains { $0.properties.isWhitespace || $0.properties.generalCategory == .control || $0 == "," }
                #expect(tagged == (tagAllowed ? nil : "invalid-tag"), "tag \(Array(value.unicodeScalars))")
                let read = try #require(try await ana.send(.get(id)).lines(AnnotationRecord.word).first)
                let record = try AnnotationRecord(line: read)
                #expect(DocumentText.sameScalars(record.label, value) && DocumentText.sameScalars(record.note, value) && DocumentText.sameScalars(record.comment, value), "\(Array(value.unicodeScalars))")
                #expect(record.tags.contains { DocumentText.sameScalars($0, value) } == tagAllowed)
                let listed = try await ana.send(.list(AnnotationQuery(documents: [try DocumentID("article")], label: value)))
                #expect(listed.lines(AnnotationRecord.word).map { $0["id"] } == [id.description], "LIST label= finds exactly it")
                let titled = try await ana.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: try DocumentID("doc-\(index)"), title: value, text: "text " + value))).reply
                #expect(titled["code-points"] == String(5 + value.unicodeScalars.count))
                let fetched = try #require(try await ana.send(.getDocument(DocumentReference(try DocumentID("doc-\(index)")))).lines.first)
                #expect(DocumentText.sameScalars(fetched["title"] ?? "", value) && DocumentText.sameScalars(fetched["text"] ?? "", "text " + value))
                #expect(await BadInputTests.code(ana, LinePrinter.print(Request(tag: "k\(index)", command: .add(NewAnnotation(document: document, target: .offsets(start: 0, end: 1))), key: value).line), tag: "k\(index)") == nil, "any text is a key")
                let lookup = await BadInputTests.code(ana, "d\(index) DOC-GET \(LinePrinter.print(GlossProtocol.Argument.named(key: "id", value: value)))", tag: "d\(index)")
                #expect(lookup == ((try? DocumentID(value)) == nil ? "bad-argument" : "not-found"), "DOC-GET id=\(Array(value.unicodeScalars))")
            }
            let tables = try await server.database.count("SELECT count(*) FROM pg_tables WHERE tablename IN ('annotations', 'operations', 'documents')")
            #expect(tables == 3, "every table is still there")
            let check = try await Binaries.run("glossd", ["check", "--database-url", server.database.url, "--replica-id", "auditor"])
            #expect(check.status == 0, "\(check.output)")
            for connection in [ana, rev] { await connection.close() }
        }
    }

    @Test("A slow-loris client, a connection flood, pipelining past the limit and token guessing are refused with their codes while another session keeps working")
    func floodsAndSlowClients() async throws {
        try await ServerProcess.with(arguments: BadInputTests.limits(authTimeout: 15)) { server in
            let probe = try await server.connect(as: "ana")
            let probing = Task {
                var rounds = 0
                while !Task.isCancelled {
                    _ = try await probe.send(.ping)
                    _ = try await probe.send(.list(AnnotationQuery(documents: [try DocumentID("article")], limit: 5)))
                    rounds += 1
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return rounds
            }
            let loris = try await RawTLSClient.connect(port: server.port)
            _ = try await loris.readLine()
            for byte in String(repeating: "a1 AUTH token=gloss_1_", count: 10).utf8 {
                guard (try? await loris.write([byte])) != nil else { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            let lorisEnd = try await loris.readLine()
            #expect(lorisEnd.hasPrefix("* BYE auth-timeout"), "\(lorisEnd)")
            await loris.close()

            // All at once: one after another on a loaded machine, the first ones could reach the
            // authentication time-out and free their places before the last ones connect.
            let attempts = await withTaskGroup(of: GlossConnection?.self) { group in
                for _ in 0..<60 { group.addTask { try? await server.connect() } }
                return await group.reduce(into: [GlossConnection?]()) { $0.append($1) }
            }
            let flood = attempts.compactMap { $0 }
            let refused = attempts.count - flood.count
            #expect(refused > 0 && flood.count < 60, "the per-address limit refuses the rest of a flood")
            for connection in flood { await connection.close() }

            let piper = try await server.connect(as: "ben")
            let codes = await withTaskGroup(of: String?.self) { group in
                for index in 0..<50 { group.addTask { await BadInputTests.code(piper, "p\(index) LIST doc=article", tag: "p\(index)") } }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(codes.contains("too-many-requests") && codes.allSatisfy { $0 == nil || $0 == "too-many-requests" })
            await piper.close()

            let guesser = try await server.connect()
            var guesses: [String?] = []
            for attempt in 0..<6 { guesses.append(await BadInputTests.code(guesser, "g\(attempt) AUTH token=gloss_\(attempt)_\(String(repeating: "0", count: 64))", tag: "g\(attempt)")) }
            #expect(guesses.prefix(3).allSatisfy { $0 == "auth-failed" } && guesses.dropFirst(3).allSatisfy { $0 == "auth-throttled" }, "\(guesses)")
            await guesser.close()

            probing.cancel()
            let rounds = try await probing.value
            #expect(rounds > 0, "the probe session was served throughout")
            await probe.close()
        }
    }
}
