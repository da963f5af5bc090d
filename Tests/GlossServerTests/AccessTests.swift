import Foundation
import GlossClient
import GlossCore
import GlossProtocol
@testable import GlossServer
import GlossStore
import GlossTestSupport
import Testing

/// A revoked token or a changed role reaches sessions opened before the change.
@Suite("Access changes reach open sessions", .timeLimit(.minutes(3)))
struct AccessTests {
    private let news = try! ProjectID("news")
    private let other = try! ProjectID("other")

    @Test("The decision for one session: keep, update the roles, or close")
    func decisions() {
        let ana = Principal(name: "ana", roles: [news: .analyst], tokenID: 7)
        #expect(AccessReview.decide(current: ana, latest: ana, subscribedProjects: [news]) == .keep)
        guard case .close(let revoked) = AccessReview.decide(current: ana, latest: nil, subscribedProjects: []) else {
            Issue.record("a revoked token closes the session")
            return
        }
        #expect(revoked.code == .accessRevoked)
        let promoted = Principal(name: "ana", roles: [news: .reviewer, other: .reader], tokenID: 7)
        #expect(AccessReview.decide(current: ana, latest: promoted, subscribedProjects: [news]) == .update(promoted))
        let demoted = Principal(name: "ana", roles: [news: .reader], tokenID: 7)
        #expect(AccessReview.decide(current: ana, latest: demoted, subscribedProjects: [news]) == .update(demoted), "a reader may still follow news")
        let moved = Principal(name: "ana", roles: [other: .analyst], tokenID: 7)
        guard case .close(let lost) = AccessReview.decide(current: ana, latest: moved, subscribedProjects: [news]) else {
            Issue.record("losing a followed project closes the session")
            return
        }
        #expect(lost.code == .accessRevoked && lost.message.contains("'news'"))
        #expect(AccessReview.decide(current: ana, latest: moved, subscribedProjects: []) == .update(moved))
    }

    @Test("glossd user revoke closes sessions opened with the token, subscriptions included, within the check interval")
    func revocationReachesOpenSessions() async throws {
        try await ServerProcess.with(arguments: ["--access-check", "1"]) { server in
            let writer = try await server.connect(as: "ana")
            let watcher = try await server.connect(as: "ana")
            let bystander = try await server.connect(as: "ben")
            _ = try await writer.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5))))
            _ = try await watcher.send(.subscribe(.project(news)))
            let revoked = try await Binaries.run("glossd", ["user", "revoke", "ana", "--database-url", server.database.url, "--replica-id", "admin"])
            #expect(revoked.status == 0, "\(revoked.error)")
            let revokedAt = ContinuousClock.now
            #expect(await watcher.waitForClose()?.code == "access-revoked")
            #expect(await writer.waitForClose()?.code == "access-revoked")
            #expect(ContinuousClock.now - revokedAt < .seconds(30), "closed within the check interval, not at the idle time-out")
            await #expect(throws: ClientError.self) {
                _ = try await writer.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5))))
            }
            _ = try await bystander.send(.add(NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 1, end: 5))))
            await bystander.close()
        }
    }

    @Test("glossd user disable, ungrant and revoke --token reach open sessions; enable and tokens work as their help says")
    func accountCommands() async throws {
        try await ServerProcess.with(arguments: ["--access-check", "1"]) { server in
            let glossd = { (arguments: [String]) async throws -> (status: Int32, output: String, error: String) in
                try await Binaries.run("glossd", ["user"] + arguments + ["--database-url", server.database.url])
            }
            // One token of ben's (the one he logged in with) is revoked; another keeps working.
            let spare = try await glossd(["token", "ben", "--label", "spare"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
            let listed = try await glossd(["tokens", "ben"])
            #expect(listed.status == 0 && listed.output.contains("spare") && !listed.output.contains(spare), "\(listed)")
            let benSession = try await server.connect(as: "ben")
            let first = try #require(server.tokens["ben"]?.split(separator: "_").dropFirst().first.map(String.init))
            #expect(try await glossd(["revoke", "ben", "--token", first]).status == 0)
            #expect(await benSession.waitForClose()?.code == "access-revoked")
            let withSpare = try await server.connect()
            _ = try await withSpare.send(.auth(token: spare))
            await withSpare.close()
            #expect(try await glossd(["revoke", "ben", "--token", first]).status != 0, "already revoked")

            // A disabled user's sessions close; enabled again, the token works.
            let anaSession = try await server.connect(as: "ana")
            #expect(try await glossd(["disable", "ana"]).status == 0)
            #expect(await anaSession.waitForClose()?.code == "access-revoked")
            #expect(try await glossd(["enable", "ana"]).status == 0)
            let anaAgain = try await server.connect(as: "ana")
            await anaAgain.close()

            // A role taken away: a subscription to that project ends.
            let max = try await server.connect(as: "max")
            _ = try await max.send(.subscribe(.project(other)))
            #expect(try await glossd(["ungrant", "max", "--project", "other"]).status == 0)
            #expect(await max.waitForClose()?.code == "access-revoked")
            #expect(try await glossd(["ungrant", "max", "--project", "other"]).status != 0, "no role there any more")
        }
    }

    @Test("A role changed by glossd user grant applies to open sessions: a promoted reader may write, a demoted analyst may not")
    func roleChangesReachOpenSessions() async throws {
        try await ServerProcess.with(arguments: ["--access-check", "1"]) { server in
            let rita = try await server.connect(as: "rita")
            let ben = try await server.connect(as: "ben")
            let new = NewAnnotation(document: DocumentReference(try DocumentID("article")), target: .offsets(start: 0, end: 5))
            #expect(await BadInputTests.code(rita, "r1 ADD doc=article start=0 end=5", tag: "r1") == "forbidden")
            let common = ["--database-url", server.database.url, "--replica-id", "admin"]
            #expect(try await Binaries.run("glossd", ["user", "grant", "rita", "--project", "news", "--role", "analyst"] + common).status == 0)
            #expect(try await Binaries.run("glossd", ["user", "grant", "ben", "--project", "news", "--role", "reader"] + common).status == 0)
            let deadline = ContinuousClock.now + .seconds(30)
            var ritaWrote = false
            var benRefused = false
            while ContinuousClock.now < deadline, !(ritaWrote && benRefused) {
                try await Task.sleep(for: .milliseconds(200))
                if !ritaWrote { ritaWrote = (try? await rita.send(.add(new))) != nil }
                if !benRefused { benRefused = await BadInputTests.code(ben, "b1 ADD doc=article start=0 end=5", tag: "b1") == "forbidden" }
            }
            #expect(ritaWrote, "rita, promoted to analyst, writes on the session she opened as a reader")
            #expect(benRefused, "ben, demoted to reader, can no longer write on his open session")
            let whoami = try await ben.send(.whoami).reply
            #expect(whoami["roles"] == "news=reader")
            for connection in [rita, ben] { await connection.close() }
        }
    }
}
