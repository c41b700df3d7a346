@testable import TallyCore
import TallyStore
import Testing

/// The Redis Cluster hash tag of `key`, as Redis computes it (`keyHashSlot` in
/// cluster.c): the bytes between the first `{` and the first `}` after it, if
/// there are any; nil means Redis hashes the whole key.
private func hashTag(_ key: String) -> [UInt8]? {
    let bytes = Array(key.utf8)
    guard let open = bytes.firstIndex(of: UInt8(ascii: "{")),
        let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
        close > open + 1
    else { return nil }
    return Array(bytes[(open + 1)..<close])
}

/// Undoes the documented escaping (`%25`, `%7B`, `%7D`); nil for anything else
/// after a `%`, or a raw brace.
private func unescape(_ tag: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    var i = 0
    while i < tag.count {
        switch tag[i] {
        case UInt8(ascii: "{"), UInt8(ascii: "}"):
            return nil
        case UInt8(ascii: "%"):
            guard i + 2 < tag.count else { return nil }
            switch (tag[i + 1], tag[i + 2]) {
            case (UInt8(ascii: "2"), UInt8(ascii: "5")): out.append(UInt8(ascii: "%"))
            case (UInt8(ascii: "7"), UInt8(ascii: "B")): out.append(UInt8(ascii: "{"))
            case (UInt8(ascii: "7"), UInt8(ascii: "D")): out.append(UInt8(ascii: "}"))
            default: return nil
            }
            i += 3
        default:
            out.append(tag[i])
            i += 1
        }
    }
    return out
}

private let trickyDestinations = [
    "a", "b", "acct-42", "a}b", "{x", "x}", "a:b", "%7B", "%7D", "%25", "%257B", "%", "%%", "{", "}", "{}", "}{",
    "{{}}", "a}:ref:x", "a:ref:x", "a}:sum", ":sum", "x{y}z", "{acct-42}", "😀", "e\u{301}", "\u{E9}", "K", "\u{212A}",
    " ", "a b", "tally:{a}", "🇫🇷{🇩🇪}",
]

private let trickyReferences = [
    "x", "y", "inv-7", "x}:ref:y", "}:ref:x", ":ref:", "ref:x", "{", "}", "{y}", "😀", "s", ":sum", "sum", "%7D",
    "a}", "", "\u{E9}", "e\u{301}",
]

@Suite("RedisKeyLayout")
struct RedisKeyLayoutTests {
    private let layout = RedisKeyLayout()

    private func keys(_ destinationId: String) -> [String] {
        [
            layout.destinationBase(destinationId), layout.destinationSummary(destinationId),
            layout.references(destinationId), layout.pending(destinationId), layout.stats(destinationId),
        ] + trickyReferences.map { layout.referenceSummary(destinationId, reference: $0) }
    }

    @Test(arguments: trickyDestinations)
    func everyKeyOfADestinationHasTheSameHashTag(_ destinationId: String) throws {
        let tag = try #require(hashTag(layout.destinationBase(destinationId)), "base has no hash tag")
        for key in keys(destinationId) {
            #expect(hashTag(key) == tag, "\(key)")
        }
    }

    /// The tag decodes back to the destinationId, so tags (and bases) are injective.
    @Test(arguments: trickyDestinations)
    func hashTagIsTheEscapedDestination(_ destinationId: String) throws {
        let tag = try #require(hashTag(layout.destinationBase(destinationId)))
        #expect(!tag.contains(UInt8(ascii: "{")))
        #expect(!tag.contains(UInt8(ascii: "}")))
        #expect(unescape(tag) == Array(destinationId.utf8))
    }

    @Test(arguments: trickyDestinations)
    func keysStartWithPrefixAndBase(_ destinationId: String) {
        let base = layout.destinationBase(destinationId)
        #expect(base.utf8.starts(with: "tally:{".utf8))
        #expect(base.utf8.last == UInt8(ascii: "}"))
        for key in keys(destinationId) {
            #expect(key.utf8.starts(with: base.utf8))
        }
    }

    @Test func plainDestinationIsNotEscaped() {
        #expect(hashTag(layout.destinationSummary("acct-42")) == Array("acct-42".utf8))
    }

    @Test func differentDestinationsNeverShareABase() {
        // Compared as bytes: Swift's `==` would call "\u{E9}" and "e\u{301}" equal.
        let bases = Set(trickyDestinations.map { Array(layout.destinationBase($0).utf8) })
        #expect(bases.count == Set(trickyDestinations.map { Array($0.utf8) }).count)
        #expect(bases.count == trickyDestinations.count)
    }

    @Test func escapesThatLookAlikeStayApart() {
        #expect(layout.destinationBase("{") != layout.destinationBase("%7B"))
        #expect(layout.destinationBase("%7B") != layout.destinationBase("%257B"))
        #expect(layout.destinationBase("}") != layout.destinationBase("%7D"))
        #expect(layout.destinationBase("%") != layout.destinationBase("%25"))
        #expect(Array(layout.destinationBase("\u{E9}").utf8) != Array(layout.destinationBase("e\u{301}").utf8))
    }

    @Test func noTwoKeysCollideAcrossDestinationsAndReferences() {
        var all: [[UInt8]] = []
        for destination in trickyDestinations {
            all += keys(destination).map { Array($0.utf8) }
        }
        #expect(Set(all).count == all.count)
        #expect(all.count == trickyDestinations.count * (5 + trickyReferences.count))
    }

    @Test func designedReferenceCollisionsDoNotCollide() {
        let pairs: [(String, String)] = [
            ("a}:ref:x", "y"), ("a", "x}:ref:y"), ("a:ref:x", "y"), ("a", "x:ref:y"), ("a}", ":ref:y"),
            ("a", "}:ref:y"), ("a%7D:ref:x", "y"), ("a", "ref:x}:ref:y"), ("a}:ref:", "x"), ("a", ":ref:x"),
        ]
        let keys = pairs.map { Array(layout.referenceSummary($0.0, reference: $0.1).utf8) }
        #expect(Set(keys).count == pairs.count)
        // And each lands in the slot of its own destination.
        for (destination, reference) in pairs {
            #expect(hashTag(layout.referenceSummary(destination, reference: reference))
                == hashTag(layout.destinationBase(destination)))
        }
    }

    @Test func otherPrefix() throws {
        let other = RedisKeyLayout(prefix: "t2")
        #expect(other.destinationSummary("a").utf8.starts(with: "t2:{".utf8))
        #expect(hashTag(other.stats("a}b")) == hashTag(layout.stats("a}b")))
        #expect(other.destinationSummary("a") != layout.destinationSummary("a"))
        #expect(other.log != layout.log)
        #expect(try #require(hashTag(other.pending("x{y"))) == Array("x%7By".utf8))
    }
}

/// Claims are keyed by recordId alone, so a recordId is recognised whatever
/// destination it arrives with.
@Suite("RedisKeyLayout: claims")
struct RedisKeyLayoutClaimTests {
    @Test func claimKeyDependsOnTheRecordIdOnly() {
        let layout = RedisKeyLayout(prefix: "tally")
        #expect(layout.claims("r-1") == layout.claims("r-1"))
        #expect(layout.claims("r-1").hasPrefix("tally:ids:"))
        #expect(!layout.claims("r-1").contains("{"), "no destination hash tag")
    }

    @Test func claimsSpreadOverTheShards() throws {
        let layout = RedisKeyLayout(prefix: "p")
        var counts: [String: Int] = [:]
        for index in 0..<20_000 { counts[layout.claims("record-\(index)"), default: 0] += 1 }
        #expect(counts.count > 1000, "20,000 ids should touch nearly all 1024 shards, touched \(counts.count)")
        for key in counts.keys {
            let shard = try #require(Int(key.dropFirst("p:ids:".count)))
            #expect((0..<1024).contains(shard))
        }
        #expect(counts.values.max()! < 60, "no shard should hold far more than its share (~20)")
    }
}
