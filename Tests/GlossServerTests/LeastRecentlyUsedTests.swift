@testable import GlossServer
import Testing

@Suite("The document cache's policy: least recently used out, within a byte budget")
struct LeastRecentlyUsedTests {
    @Test("Cycling through more documents than a count limit once allowed still hits, as long as their bytes fit")
    func cyclingHits() {
        var cache = LeastRecentlyUsed<Int, String>(maximumBytes: 100 * 3_000)
        for round in 0..<3 {
            for document in 0..<100 {
                if round > 0 { #expect(cache.value(for: document) != nil, "round \(round), document \(document)") }
                if cache.value(for: document) == nil { cache.insert("text", for: document, bytes: 3_000) }
            }
        }
        #expect(cache.count == 100 && cache.bytes == 300_000)
    }

    @Test("The least recently used entry goes first; a use makes an entry recent")
    func evictionOrder() {
        var cache = LeastRecentlyUsed<String, Int>(maximumBytes: 30)
        cache.insert(1, for: "a", bytes: 10)
        cache.insert(2, for: "b", bytes: 10)
        cache.insert(3, for: "c", bytes: 10)
        #expect(cache.value(for: "a") == 1)
        cache.insert(4, for: "d", bytes: 10)
        #expect(cache.value(for: "b") == nil && cache.value(for: "a") == 1 && cache.value(for: "c") == 3 && cache.value(for: "d") == 4)
        cache.insert(5, for: "e", bytes: 25)
        #expect(cache.count == 1 && cache.bytes == 25 && cache.value(for: "e") == 5)
    }

    @Test("A value larger than the whole budget is not kept; replacing a key counts its new size")
    func limits() {
        var cache = LeastRecentlyUsed<String, Int>(maximumBytes: 30)
        cache.insert(1, for: "a", bytes: 31)
        #expect(cache.count == 0 && cache.bytes == 0)
        cache.insert(1, for: "a", bytes: 10)
        cache.insert(2, for: "a", bytes: 20)
        #expect(cache.count == 1 && cache.bytes == 20 && cache.value(for: "a") == 2)
    }
}
