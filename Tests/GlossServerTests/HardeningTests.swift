import Foundation
import GlossClient
import GlossCore
import GlossProtocol
import GlossTestSupport
import Testing

/// Faults found by trying Gloss as users and attackers would, each with the input that found it.
@Suite("Hardening", .timeLimit(.minutes(3)))
struct HardeningTests {
    @Test("A value PostgreSQL cannot store (NUL) is refused up front with invalid-character, in every field; another analyst's writes never fail for it")
    func nulNeverFailsOthers() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let ben = try await server.connect(as: "ben")
            let (poisoned, clean) = await withTaskGroup(of: (Bool, String?).self) { group in
                for index in 0..<60 {
                    group.addTask {
                        let code = await BadInputTests.code(ana, #"n\#(index) ADD doc=article start=0 end=5 note="a\u{0}b""#, tag: "n\(index)")
                        return (true, code)
                    }
                }
                for index in 0..<120 {
                    group.addTask {
                        let code = await BadInputTests.code(ben, "b\(index) ADD doc=article start=1 end=6 note=fine", tag: "b\(index)")
                        return (false, code)
                    }
                }
                var poisoned: [String?] = []
                var clean: [String?] = []
                for await (isPoison, code) in group {
                    if isPoison { poisoned.append(code) } else { clean.append(code) }
                }
                return (poisoned, clean)
            }
            #expect(poisoned.allSatisfy { $0 == "invalid-character" }, "\(Set(poisoned.map { $0 ?? "OK" }))")
            #expect(clean.allSatisfy { $0 == nil }, "ben's writes: \(Set(clean.map { $0 ?? "OK" }))")
            let nulLines = [
                #"d1 DOC-PUT project=news id=nul title=T text="a\u{0}b""#, #"d2 DOC-PUT project=news id=nul title="a\u{0}" text=x"#,
                #"l1 LIST label="\u{0}""#, #"l2 LIST author="x\u{0}""#, #"k1 ADD doc=article start=0 end=5 key="k\u{0}""#,
                #"t1 ADD doc=article start=0 end=5 tag="t\u{0}""#, #"q1 ADD doc=article quote="\u{0}""#,
            ]
            for line in nulLines {
                let tag = String(line.prefix { $0 != " " })
                #expect(await BadInputTests.code(ana, line, tag: tag) == "invalid-character", "\(line)")
            }
            #expect(await BadInputTests.code(ana, "p PING", tag: "p") == nil)
            for connection in [ana, ben] { await connection.close() }
        }
    }

    @Test("A quote never matches half a character; offsets inside one are accepted with a warning")
    func graphemeClusters() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let text = "cafe\u{301} and 👩\u{200D}👩\u{200D}👧 met"
            _ = try await ana.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: try DocumentID("accents"), title: "Accents", text: text)))
            let document = DocumentReference(try DocumentID("accents"))
            await #expect(throws: ClientError.self) { _ = try await ana.send(.add(NewAnnotation(document: document, target: .quote("cafe", occurrence: nil)))) }
            #expect(await BadInputTests.code(ana, "q1 ADD doc=accents quote=cafe", tag: "q1") == "splits-character")
            #expect(await BadInputTests.code(ana, "q2 ADD doc=accents quote=👩", tag: "q2") == "splits-character")
            let whole = try await ana.send(.add(NewAnnotation(document: document, target: .quote("cafe\u{301}", occurrence: nil)))).reply
            #expect(whole["start"] == "0" && whole["end"] == "5" && whole["warning"] == nil)
            let half = try await ana.send(.add(NewAnnotation(document: document, target: .offsets(start: 0, end: 4)))).reply
            #expect(half["warning"]?.hasPrefix("splits-character") == true, "\(half)")
            let id = try AnnotationID(try #require(half["id"]))
            let edited = try await ana.send(.set(id, [.span(.offsets(start: 11, end: 12))])).reply
            #expect(edited["warning"]?.contains("11 and 12") == true, "inside the emoji family: \(edited)")
            await ana.close()
        }
    }

    @Test("Document ids are scoped by project: the same id in two projects, and nothing answers differently for a project one cannot see")
    func documentIDsScopedByProject() async throws {
        try await ServerProcess.with { server in
            let olga = try await server.connect(as: "olga")
            let ana = try await server.connect(as: "ana")
            let max = try await server.connect(as: "max")
            // "article" exists in news and "hidden" in secret, both invisible to olga: her uploads do not clash.
            let mine = try await olga.send(.putDocument(DocumentUpload(project: try ProjectID("other"), id: try DocumentID("article"), title: "Mine", text: "Olga's own text"))).reply
            #expect(mine["code-points"] == "15")
            _ = try await olga.send(.putDocument(DocumentUpload(project: try ProjectID("other"), id: try DocumentID("hidden"), title: "Also mine", text: "x")))

            // Each sees her own "article".
            let olgas = try #require(try await olga.send(.getDocument(DocumentReference(try DocumentID("article")))).lines.first)
            let anas = try #require(try await ana.send(.getDocument(DocumentReference(try DocumentID("article")))).lines.first)
            #expect(olgas["project"] == "other" && olgas["text"] == "Olga's own text")
            #expect(anas["project"] == "news" && anas["text"] == sampleDocument.text.text)

            // max reads both projects: the id alone is ambiguous for him, the project settles it.
            #expect(await BadInputTests.code(max, "m1 DOC-GET id=article", tag: "m1") == "bad-argument")
            let chosen = try #require(try await max.send(.getDocument(DocumentReference(try DocumentID("article"), in: try ProjectID("other")))).lines.first)
            #expect(chosen["title"] == "Mine")

            // Annotations land in the right project and listings and subscriptions keep them apart.
            let subscribed = try await ana.send(.subscribe(.document(DocumentReference(try DocumentID("article"))))).reply
            #expect(subscribed["sub"] == "1")
            let added = try await olga.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .quote("own", occurrence: nil)))).reply
            let listedByAna = try await ana.send(.list(AnnotationQuery(documents: [try DocumentID("article")])))
            #expect(listedByAna.lines.isEmpty, "ana's article has no annotations")
            let listedByOlga = try await olga.send(.list(AnnotationQuery(documents: [try DocumentID("article")])))
            #expect(listedByOlga.lines.count == 1 && listedByOlga.lines.first?["project"] == "other" && listedByOlga.lines.first?["id"] == added["id"])

            // Nothing tells olga whether a document or annotation exists in a project she cannot see.
            let existing = await Self.error(olga, "o1 DOC-GET id=hidden project=secret", tag: "o1")
            let absent = await Self.error(olga, "o2 DOC-GET id=nowhere project=secret", tag: "o2")
            #expect(existing?.code == "not-found" && absent?.code == "not-found")
            #expect(existing?.message.replacingOccurrences(of: "hidden", with: "nowhere") == absent?.message)
            for verb in ["ADD doc=%@ project=news start=0 end=1", "SUBSCRIBE doc=%@ project=news", "LIST doc=%@ project=news"] {
                let present = await Self.error(olga, "v1 " + verb.replacingOccurrences(of: "%@", with: "article"), tag: "v1")
                let missing = await Self.error(olga, "v2 " + verb.replacingOccurrences(of: "%@", with: "nowhere"), tag: "v2")
                #expect(present?.code == missing?.code, "\(verb)")
                #expect(present?.message.replacingOccurrences(of: "article", with: "nowhere") == missing?.message, "\(verb)")
            }
            let anasAnnotation = try await ana.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5)))).reply
            let seen = await Self.error(olga, "g1 GET id=\(anasAnnotation["id"]!)", tag: "g1")
            let unseen = await Self.error(olga, "g2 GET id=00000000-0000-4000-8000-000000000001", tag: "g2")
            #expect(seen?.code == "not-found" && unseen?.code == "not-found")
            #expect(seen?.message.replacingOccurrences(of: anasAnnotation["id"]!, with: "00000000-0000-4000-8000-000000000001") == unseen?.message)

            // The subscriber to news/article heard only news/article's change.
            var events: [EventRecord] = []
            for await event in ana.events {
                events.append(event)
                break
            }
            #expect(events.first?.annotation.project.rawValue == "news" && events.first?.annotation.id.description == anasAnnotation["id"])
            for connection in [olga, ana, max] { await connection.close() }
        }
    }

    @Test("A replayed write answers with the first answer's fields, and replayed=yes")
    func replayRepeatsTheFirstAnswer() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let new = NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .quote("Kishida’s", occurrence: nil), label: "PERSON")
            let first = try await ana.send(.add(new), key: "replay-1").reply
            let again = try await ana.send(.add(new), key: "replay-1").reply
            for field in ["id", "start", "end", "quote", "ops"] {
                #expect(first[field] != nil && again[field] == first[field], "\(field)")
            }
            #expect(first["replayed"] == nil && again["replayed"] == "yes")
            let id = try AnnotationID(try #require(first["id"]))
            let edit = try await ana.send(.set(id, [.note("n")]), key: "replay-2").reply
            let editAgain = try await ana.send(.set(id, [.note("n")]), key: "replay-2").reply
            #expect(editAgain["ops"] == edit["ops"] && editAgain["id"] == edit["id"] && editAgain["replayed"] == "yes")

            // The same ADD naming the document's project this time is the same request.
            var named = new
            named.document = DocumentReference(try DocumentID("article"), in: try ProjectID("news"))
            let withProject = try await ana.send(.add(named), key: "replay-1").reply
            #expect(withProject["id"] == first["id"] && withProject["replayed"] == "yes")

            // DOC-PUT keeps its key too: a replay gets the first answer, another document under the key is refused.
            let news = try ProjectID("news")
            let upload = DocumentUpload(project: try ProjectID("news"), id: try DocumentID("keyed"), title: "Keyed", text: "keyed text")
            let put = try await ana.send(.putDocument(upload), key: "doc-1").reply
            let putAgain = try await ana.send(.putDocument(upload), key: "doc-1").reply
            #expect(put["replayed"] == nil && putAgain["replayed"] == "yes" && putAgain["id"] == "keyed" && putAgain["sha256"] == put["sha256"])
            let other = DocumentUpload(project: try ProjectID("news"), id: try DocumentID("keyed-2"), title: "Other", text: "other text")
            await #expect { try await ana.send(.putDocument(other), key: "doc-1") } throws: { ($0 as? ClientError)?.code == "key-reused" }
            await #expect { try await ana.send(.add(new), key: "doc-1") } throws: { ($0 as? ClientError)?.code == "key-reused" }

            // Sent at the same moment under one key: one document, the other request refused or replayed.
            let rivals = (0..<4).map { DocumentUpload(project: news, id: try! DocumentID("rival-\($0)"), title: "Rival", text: "rival \($0)") }
            let outcomes = await withTaskGroup(of: String.self) { group in
                for rival in rivals { group.addTask { (try? await ana.send(.putDocument(rival), key: "doc-race").reply["id"]) ?? "refused" } }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 != "refused" }.count == 1 && outcomes.filter { $0 == "refused" }.count == 3, "\(outcomes)")
            let twins = await withTaskGroup(of: String?.self) { group in
                for _ in 0..<3 { group.addTask { try? await ana.send(.putDocument(rivals[0]), key: "doc-twins").reply["replayed"] } }
                return await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(twins.filter { $0 == nil }.count == 1 && twins.filter { $0 == "yes" }.count == 2, "one stores, the others replay: \(twins)")
            await ana.close()
        }
    }

    @Test("A document stored without an id gets one from its title, or from its text when the title has no Latin letter or digit")
    func derivedDocumentIDs() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let news = try ProjectID("news")
            let tokyo = try await ana.send(.putDocument(DocumentUpload(project: news, id: nil, title: "東京", text: "一つ目"))).reply
            let tokyoAgain = try await ana.send(.putDocument(DocumentUpload(project: news, id: nil, title: "東京", text: "一つ目"))).reply
            let second = try await ana.send(.putDocument(DocumentUpload(project: news, id: nil, title: "東京", text: "二つ目"))).reply
            #expect(tokyo["id"] == "doc-" + String(DocumentText("一つ目").sha256.prefix(12)))
            #expect(tokyoAgain["id"] == tokyo["id"] && second["id"] != tokyo["id"])
            let latin = try await ana.send(.putDocument(DocumentUpload(project: news, id: nil, title: "Summit notes", text: "a"))).reply
            #expect(latin["id"] == "summit-notes")
            do {
                _ = try await ana.send(.putDocument(DocumentUpload(project: news, id: nil, title: "Summit notes", text: "b")))
                Issue.record("a different text under a derived id must be refused")
            } catch let error as ClientError {
                #expect(error.code == "document-exists" && error.message.contains("made from the title"), "\(error)")
            }
            await ana.close()
        }
    }

    @Test("A 2,000,000-byte junk line gets a short error; clients that send such lines and hang up do not stop another session being served")
    func hugeJunkLines() async throws {
        try await ServerProcess.with { server in
            let junk = Array(String(repeating: "\u{1B}[2J", count: 500_000).utf8) + [0x0A]
            let raw = try await RawTLSClient.connect(port: server.port)
            _ = try await raw.readLine()
            try await raw.write(junk)
            let answer = try await raw.readLine()
            #expect(answer.hasPrefix("* ERR malformed") && answer.utf8.count < 1_200, "\(answer.prefix(200)) (\(answer.utf8.count) bytes)")
            await raw.close()

            let probe = try await server.connect(as: "rita")
            let abusers = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<2 {
                        group.addTask {
                            for _ in 0..<10 {
                                guard let abuser = try? await RawTLSClient.connect(port: server.port) else { continue }
                                try? await abuser.write(Array("a AUTH token=\(server.tokens["ana"]!)\n".utf8) + Array(repeating: UInt8(ascii: "x"), count: 2_000_000) + [0x0A])
                                await abuser.close()
                            }
                        }
                    }
                }
            }
            var answered = 0
            while !abusers.isCancelled, answered < 200 {
                _ = try await probe.send(.ping)
                answered += 1
            }
            await abusers.value
            _ = try await probe.send(.list(AnnotationQuery(documents: [try DocumentID("article")])))
            #expect(answered == 200, "every PING of the other session was answered")
            await probe.close()
        }
    }

    /// The error a raw line gets, if any.
    static func error(_ connection: GlossConnection, _ text: String, tag: String) async -> ClientError? {
        do {
            _ = try await connection.sendRaw(Array((text + "\n").utf8), awaiting: tag)
            return nil
        } catch {
            return error
        }
    }

    @Test("A client that pipelines large requests and never reads the answers is no longer read; glossd's memory stays bounded")
    func repliesNobodyReads() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            let big = String(repeating: "Kishida met Biden in Washington. ", count: 30_000)
            _ = try await ana.send(.putDocument(DocumentUpload(project: try ProjectID("news"), id: try DocumentID("big"), title: "Big", text: big)))
            await ana.close()
            let before = server.residentMiB
            let hog = try await RawTLSClient.connect(port: server.port)
            _ = try await hog.readLine()
            var burst = Array("a AUTH token=\(server.tokens["rita"]!)\n".utf8)
            for index in 0..<2_000 { burst += Array("g\(index) DOC-GET id=big\n".utf8) }
            try await hog.write(burst)
            try await Task.sleep(for: .seconds(5))
            let during = server.residentMiB
            let probe = try await server.connect(as: "ben")
            _ = try await probe.send(.list(AnnotationQuery(documents: [try DocumentID("article")])))
            #expect(during - before < 300, "2,000 unread answers of 1 MB each: glossd grew \(Int(during - before)) MiB")
            await hog.close()
            await probe.close()
        }
    }

    @Test("QUIT in the middle of a burst: every answer before it, and OK bye=yes, reach a client that reads late")
    func quitDeliversEverything() async throws {
        try await ServerProcess.with { server in
            for _ in 0..<3 {
                let client = try await RawTLSClient.connect(port: server.port)
                _ = try await client.readLine()
                var burst = "a AUTH token=\(server.tokens["rita"]!)\n"
                for index in 0..<40 { burst += "d\(index) DOC-GET id=article\n" }
                burst += "q QUIT\n" + String(repeating: "p PING\n", count: 20_000)
                try await client.write(Array(burst.utf8))
                try await Task.sleep(for: .seconds(3))
                var finals: Set<String> = []
                while let line = try? await client.readLine() {
                    let words = line.split(separator: " ")
                    if words.count > 1, words[1] == "OK" || words[1] == "ERR" { finals.insert(String(words[0])) }
                    if line.hasPrefix("q OK bye=yes") { break }
                }
                #expect(finals.contains("q") && finals.isSuperset(of: (0..<40).map { "d\($0)" }), "\(finals.count) final answers")
                #expect(!finals.contains("p"), "nothing after QUIT is answered")
                await client.close()
            }
        }
    }

    @Test("A tagged line refused for any reason is answered under its tag, leading spaces and a final CR included")
    func tagsOfRefusedLines() async throws {
        try await ServerProcess.with { server in
            let client = try await RawTLSClient.connect(port: server.port)
            _ = try await client.readLine()
            try await client.write(Array(" a1 FOO\n  a2   PING\na3\r\n\ta4 BAR x\r\n".utf8))
            var tags: [String] = []
            for _ in 0..<4 { tags.append(String(try await client.readLine().prefix { $0 != " " })) }
            #expect(tags.sorted() == ["a1", "a2", "a3", "a4"], "\(tags)")
            await client.close()
        }
    }

    @Test("LIST since= past every timestamp lists nothing, up to the largest value it takes")
    func sinceBeyondEverything() async throws {
        try await ServerProcess.with { server in
            let ana = try await server.connect(as: "ana")
            _ = try await ana.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5))))
            for since in [UInt64(Int64.max), UInt64(Int64.max) + 1, UInt64.max] {
                let listed = try await ana.send(.list(AnnotationQuery(documents: [try DocumentID("article")], since: since)))
                #expect(listed.lines.isEmpty && listed.reply["count"] == "0", "since=\(since)")
            }
            #expect(try await ana.send(.list(AnnotationQuery(documents: [try DocumentID("article")], since: 0))).lines.count == 1)
            await ana.close()
        }
    }
}
