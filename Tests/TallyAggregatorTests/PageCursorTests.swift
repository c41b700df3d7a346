import Testing
@testable import TallyAggregator

@Suite struct PageCursorTests {
    @Test func roundTripsHostileIds() throws {
        let filters = AggregationQuery.Filters(start: IndexedTime(milliseconds: -5, subMillisecondNanos: 1))
        for id in ["a", "ünï{}\"\\", "a\u{0}b", String(repeating: "z", count: 256)] {
            let position = PageCursor.Position(
                destinationId: id, time: IndexedTime(milliseconds: -62_135_596_800_000, subMillisecondNanos: 999_999),
                recordId: id + "-r")
            let text = PageCursor.encode(position, filters: filters)
            #expect(text.utf8.allSatisfy { $0 < 128 && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
            #expect(try PageCursor.decode(text, filters: filters) == position)
        }
    }

    @Test func tamperingIsRefused() {
        let filters = AggregationQuery.Filters()
        let text = PageCursor.encode(
            PageCursor.Position(destinationId: "d", time: IndexedTime(milliseconds: 1, subMillisecondNanos: 0), recordId: "r"),
            filters: filters)
        #expect(throws: PageCursor.DecodeError.malformed) { try PageCursor.decode(text + "x", filters: filters) }
        #expect(throws: PageCursor.DecodeError.malformed) { try PageCursor.decode(String(text.dropLast(3)), filters: filters) }
        #expect(throws: PageCursor.DecodeError.malformed) { try PageCursor.decode("", filters: filters) }
        #expect(throws: PageCursor.DecodeError.otherFilters) {
            try PageCursor.decode(text, filters: AggregationQuery.Filters(type: .negative))
        }
    }

    @Test func base64URLMatchesRFC4648() {
        #expect(Base64URL.encode(Array("f".utf8)) == "Zg")
        #expect(Base64URL.encode(Array("fo".utf8)) == "Zm8")
        #expect(Base64URL.encode(Array("foo".utf8)) == "Zm9v")
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        #expect(Base64URL.decode("-_8") == [0xfb, 0xff])
        #expect(Base64URL.decode("Zh") == nil)  // non-canonical trailing bits
        #expect(Base64URL.decode("Z") == nil)
        #expect(Base64URL.decode("Zg==") == nil)
    }

    @Test func fingerprintsDifferForEveryFilter() {
        let time = IndexedTime(milliseconds: 1, subMillisecondNanos: 0)
        let variants = [
            AggregationQuery.Filters(),
            AggregationQuery.Filters(start: time),
            AggregationQuery.Filters(end: time),
            AggregationQuery.Filters(type: .positive),
            AggregationQuery.Filters(type: .negative),
            AggregationQuery.Filters(destinationId: "a"),
            AggregationQuery.Filters(sourceId: "a"),
            AggregationQuery.Filters(reference: "a"),
            AggregationQuery.Filters(destinationId: "a|sourceId=1:b"),
        ]
        #expect(Set(variants.map(\.fingerprint)).count == variants.count)
    }
}
