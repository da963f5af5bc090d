import GlossCore
import Testing

/// Two people on one server: an edit replaces only what its author was shown.
@Suite("Declared revisions")
struct RevisionTests {
    private let replica = try! ReplicaID("tokyo")
    private let clock = HLCTimestamp(rawValue: 1 << 30)

    private func operation(
        _ state: AnnotationState, _ payload: AnnotationOperation.Payload, counter: UInt64, author: String, declared: [Dot]?
    ) throws -> AnnotationOperation {
        let vector = VersionVector([(replica, counter - 1)])
        return try state.operation(
            payload, dot: Dot(replica: replica, counter: counter), timestamp: HLCTimestamp(rawValue: clock.rawValue + counter), author: author,
            vector: vector, declared: declared
        )
    }

    private func created() throws -> AnnotationState {
        var state = AnnotationState(id: AnnotationID(high: 1, low: 2))
        let span = try Fixtures.document.text.span(quoting: "Kishida’s")
        state.apply(try operation(state, .create(AnnotationSeed(project: Fixtures.document.project, document: Fixtures.document.id, span: span, label: "PERSON")), counter: 1, author: "ana", declared: nil))
        return state
    }

    @Test("Two edits declaring the same revision stay concurrent: both values are kept as a conflict")
    func sameRevisionConflicts() throws {
        var state = try created()
        let shown = state.revision
        #expect(shown == [Dot(replica: replica, counter: 1)])
        state.apply(try operation(state, .set(.label("ORG")), counter: 2, author: "ana", declared: shown))
        state.apply(try operation(state, .set(.label("MINISTER")), counter: 3, author: "ben", declared: shown))
        let view = try #require(state.view)
        #expect(Set([view.label.value] + view.label.conflicts.map(\.value)) == ["ORG", "MINISTER"])
        #expect(state.revision.count == 3, "the create's dot (span, note, review) and both labels")

        // Resolving with the revision that shows both replaces both.
        state.apply(try operation(state, .resolve(.label("ORG")), counter: 4, author: "ben", declared: state.revision))
        #expect(state.view?.label.value == "ORG" && state.view?.label.isConflicted == false)
    }

    @Test("Without a declared revision the server's whole view counts as seen: no conflict")
    func undeclaredReplacesEverything() throws {
        var state = try created()
        state.apply(try operation(state, .set(.label("ORG")), counter: 2, author: "ana", declared: nil))
        state.apply(try operation(state, .set(.label("MINISTER")), counter: 3, author: "ben", declared: nil))
        #expect(state.view?.label.value == "MINISTER" && state.view?.label.isConflicted == false)
    }

    @Test("Declared dots the state has never seen are ignored, so a client cannot cancel writes it never saw")
    func unknownDotsIgnored() throws {
        var state = try created()
        let future = Dot(replica: try ReplicaID("washington"), counter: 7)
        let edit = try operation(state, .set(.note("n")), counter: 2, author: "ana", declared: state.revision + [future])
        #expect(!edit.context.contains(future))
        state.apply(edit)
        #expect(state.view?.note.value == "n")
    }

    @Test("A deletion declaring an old revision leaves later edits standing, flagged")
    func deleteWithOldRevision() throws {
        var state = try created()
        let shown = state.revision
        state.apply(try operation(state, .addTag("checked"), counter: 2, author: "ben", declared: shown))
        state.apply(try operation(state, .delete, counter: 3, author: "ana", declared: shown))
        guard case .deleteConflict = state.deletion else {
            Issue.record("expected a delete conflict, got \(state.deletion)")
            return
        }
        state.apply(try operation(state, .delete, counter: 4, author: "ana", declared: state.revision))
        #expect(state.deletion == .deleted)
    }

    @Test("An edit declaring a revision that shows the deletion is refused; one declaring an older revision is concurrent, flagged")
    func editAfterSeenDeletion() throws {
        var state = try created()
        let beforeDeletion = state.revision
        state.apply(try operation(state, .delete, counter: 2, author: "ana", declared: beforeDeletion))
        #expect(state.deletion == .deleted)
        let shownDeleted = state.revision
        for payload: AnnotationOperation.Payload in [.set(.note("x")), .resolve(.label("ORG")), .addTag("t"), .removeTag("t")] {
            #expect { try operation(state, payload, counter: 3, author: "ben", declared: shownDeleted) } throws: {
                ($0 as? CoreError)?.code == .annotationDeleted
            }
            #expect { try operation(state, payload, counter: 3, author: "ben", declared: nil) } throws: {
                ($0 as? CoreError)?.code == .annotationDeleted
            }
        }
        let unseen = try operation(state, .set(.note("written before seeing the deletion")), counter: 3, author: "ben", declared: beforeDeletion)
        state.apply(unseen)
        #expect(state.deletion == .deleteConflict(edits: [unseen.dot]), "an edit that had not seen the deletion is concurrent with it")
        #expect { try operation(state, .set(.note("y")), counter: 4, author: "ben", declared: state.revision) } throws: {
            ($0 as? CoreError)?.code == .annotationDeleted
        }
        state.apply(try operation(state, .restore, counter: 4, author: "ben", declared: state.revision))
        #expect(state.deletion == .live)
        state.apply(try operation(state, .set(.note("after restoring")), counter: 5, author: "ben", declared: state.revision))
        #expect(state.view?.note.value == "after restoring" && state.deletion == .live)
    }
}
