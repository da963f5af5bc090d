import GlossCore
import Testing

/// One test per row of the merge table in PRODUCT.md and docs/MERGE.md.
@Suite("Merge table")
struct MergeTableTests {
    @Test("A edits the label, B concurrently edits the note: both edits kept")
    func differentFieldsBothKept() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        try cluster.deliver([create], to: "b")
        let labelEdit = try cluster.perform("a", .set(.label("LEADER")), on: id, by: "ana")
        let noteEdit = try cluster.perform("b", .set(.note("Prime Minister")), on: id, by: "ben")
        try cluster.deliver([noteEdit], to: "a")
        try cluster.deliver([labelEdit], to: "b")
        for replica in ["a", "b"] {
            let view = try #require(cluster.view(replica, id))
            #expect(view.label.value == "LEADER")
            #expect(view.note.value == "Prime Minister")
            #expect(view.conflictedFields.isEmpty)
        }
        #expect(cluster["a"].digest == cluster["b"].digest)
    }

    @Test("Concurrent writes to one field: same winner everywhere, loser kept as a conflict until resolved")
    func sameFieldConflictThenResolve() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        try cluster.deliver([create], to: "b")
        let first = try cluster.perform("a", .set(.label("ORG")), on: id, by: "ana")
        let second = try cluster.perform("b", .set(.label("PLACE")), on: id, by: "ben")
        try cluster.deliver([second], to: "a")
        try cluster.deliver([first], to: "b")
        for replica in ["a", "b"] {
            let view = try #require(cluster.view(replica, id))
            #expect(view.label.value == "PLACE", "the later hybrid-logical timestamp wins")
            #expect(view.label.author == "ben")
            #expect(view.label.conflicts.map(\.value) == ["ORG"])
            #expect(view.conflictedFields == [.label])
        }
        let resolve = try cluster.perform("a", .resolve(.label("ORG")), on: id, by: "ana")
        try cluster.deliver([resolve], to: "b")
        for replica in ["a", "b"] {
            let view = try #require(cluster.view(replica, id))
            #expect(view.label.value == "ORG")
            #expect(view.conflictedFields.isEmpty)
        }
    }

    @Test("Equal timestamps: the tie is broken by replica id, the same way everywhere")
    func tieBrokenByReplicaID() throws {
        var a = Replica(id: try ReplicaID("site-a"))
        var b = Replica(id: try ReplicaID("site-b"))
        let id = AnnotationID.random()
        let span = try Fixtures.document.text.span(quoting: "Kishida’s")
        let create = try a.perform(.create(AnnotationSeed(project: Fixtures.document.project, document: Fixtures.document.id, span: span)), on: id, by: "ana", wallClockMilliseconds: 10)
        try b.receive(create, wallClockMilliseconds: 10)
        let fromA = try a.perform(.set(.note("from a")), on: id, by: "ana", wallClockMilliseconds: 1_000)
        let fromB = try b.perform(.set(.note("from b")), on: id, by: "ben", wallClockMilliseconds: 1_000)
        #expect(fromA.timestamp == fromB.timestamp)
        try a.receive(fromB, wallClockMilliseconds: 1_000)
        try b.receive(fromA, wallClockMilliseconds: 1_000)
        #expect(a.annotations[id]?.view?.note.value == "from b")
        #expect(b.annotations[id]?.view?.note.value == "from b")
        #expect(a.digest == b.digest)
    }

    @Test("B writes a field after seeing A's write: B's value, no conflict")
    func causalOverwrite() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        let first = try cluster.perform("a", .set(.label("ORG")), on: id, by: "ana")
        try cluster.deliver([create, first], to: "b")
        cluster.now -= 500
        let second = try cluster.perform("b", .set(.label("PLACE")), on: id, by: "ben")
        try cluster.deliver([second], to: "a")
        for replica in ["a", "b"] {
            let view = try #require(cluster.view(replica, id))
            #expect(view.label.value == "PLACE")
            #expect(view.conflictedFields.isEmpty)
        }
    }

    @Test("Concurrent add and remove of the same tag: the tag stays")
    func addWinsTags() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a", tags: ["review"])
        try cluster.deliver([create], to: "b")
        let remove = try cluster.perform("a", .removeTag("review"), on: id)
        let add = try cluster.perform("b", .addTag("review"), on: id)
        try cluster.deliver([add], to: "a")
        try cluster.deliver([remove], to: "b")
        #expect(cluster.view("a", id)?.tags == ["review"])
        #expect(cluster.view("b", id)?.tags == ["review"])
        let removeAfterSeeingAll = try cluster.perform("a", .removeTag("review"), on: id)
        try cluster.deliver([removeAfterSeeingAll], to: "b")
        #expect(cluster.view("a", id)?.tags == [])
        #expect(cluster.view("b", id)?.tags == [])
    }

    @Test("A deletes while B edits: the annotation survives with B's edit, flagged")
    func deleteConcurrentWithEdit() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        try cluster.deliver([create], to: "b")
        let delete = try cluster.perform("a", .delete, on: id, by: "ana")
        let edit = try cluster.perform("b", .set(.note("keep this: the key quote")), on: id, by: "ben")
        try cluster.deliver([edit], to: "a")
        try cluster.deliver([delete], to: "b")
        for replica in ["a", "b"] {
            let view = try #require(cluster.view(replica, id))
            #expect(view.note.value == "keep this: the key quote")
            #expect(view.deletion == .deleteConflict(edits: [edit.dot]))
        }
        let keep = try cluster.perform("b", .restore, on: id, by: "ben")
        try cluster.deliver([keep], to: "a")
        #expect(cluster.view("a", id)?.deletion == .live)
        #expect(cluster.view("b", id)?.deletion == .live)
    }

    @Test("B edits after seeing A's deletion: refused (restore first), so nothing comes back flagged; after a restore the edit lands")
    func editAfterSeeingDeletion() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        let delete = try cluster.perform("a", .delete, on: id, by: "ana")
        try cluster.deliver([create, delete], to: "b")
        #expect { try cluster.perform("b", .set(.note("x")), on: id, by: "ben") } throws: { ($0 as? CoreError)?.code == .annotationDeleted }
        #expect { try cluster.perform("b", .addTag("t"), on: id, by: "ben") } throws: { ($0 as? CoreError)?.code == .annotationDeleted }
        #expect(cluster.view("b", id)?.deletion == .deleted)
        let restore = try cluster.perform("b", .restore, on: id, by: "ben")
        let edit = try cluster.perform("b", .set(.note("x")), on: id, by: "ben")
        try cluster.deliver([edit, restore], to: "a")
        for replica in ["a", "b"] {
            #expect(cluster.view(replica, id)?.deletion == .live)
            #expect(cluster.view(replica, id)?.note.value == "x")
        }
        #expect(cluster["a"].digest == cluster["b"].digest)
    }

    @Test("Delete after seeing every edit: deleted, and the tombstone replicates")
    func deleteAfterSeeingEverything() throws {
        var cluster = Cluster("a", "b", "c")
        let (id, create) = try cluster.create(at: "a")
        let edit = try cluster.perform("a", .set(.note("checked")), on: id)
        try cluster.deliver([create, edit], to: "b")
        let delete = try cluster.perform("b", .delete, on: id)
        try cluster.deliver([delete], to: "a")
        try cluster.deliver([delete, edit, create], to: "c")
        for replica in ["a", "b", "c"] {
            #expect(cluster.view(replica, id)?.deletion == .deleted)
        }
        #expect(cluster["c"].digest == cluster["a"].digest)
    }

    @Test("An operation arriving twice, late or out of order gives the in-order state")
    func duplicatesAndReordering() throws {
        var cluster = Cluster("a", "b", "c")
        let (id, create) = try cluster.create(at: "a", tags: ["source"])
        let ops = [
            create,
            try cluster.perform("a", .set(.label("ORG")), on: id),
            try cluster.perform("a", .addTag("followup"), on: id),
            try cluster.perform("a", .removeTag("source"), on: id),
            try cluster.perform("a", .set(.note("late")), on: id),
        ]
        try cluster.deliver(ops, to: "b")
        try cluster.deliver(ops.reversed() + ops + [ops[2], ops[0]], to: "c")
        #expect(cluster["b"].digest == cluster["a"].digest)
        #expect(cluster["c"].digest == cluster["a"].digest)
        #expect(cluster.view("c", id)?.tags == ["followup"])
        #expect(cluster.view("c", id)?.label.value == "ORG")
    }

    @Test("An edit that arrives before its annotation's creation waits, hidden, then shows")
    func editBeforeCreate() throws {
        var cluster = Cluster("a", "b")
        let (id, create) = try cluster.create(at: "a")
        let edit = try cluster.perform("a", .set(.label("ORG")), on: id)
        try cluster.deliver([edit], to: "b")
        #expect(cluster.view("b", id) == nil)
        #expect(cluster["b"].views.isEmpty)
        try cluster.deliver([create], to: "b")
        #expect(cluster.view("b", id)?.label.value == "ORG")
        #expect(cluster.view("b", id)?.label.conflicts.isEmpty == true)
    }
}
