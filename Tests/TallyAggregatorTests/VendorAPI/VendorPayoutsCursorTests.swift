import Testing
@testable import TallyAggregator

@Suite struct VendorPayoutsCursorTests {
    @Test func roundTripsHostileKeys() {
        for key in ["user:074092", "user:ünï{}\\\"", "user:a\u{0}b", "user:" + String(repeating: "z", count: 251)] {
            let position = VendorPayoutsCursor.Position(destination: key, unit: "€ \"x\"")
            let text = VendorPayoutsCursor.encode(position)
            #expect(text.utf8.allSatisfy { $0 < 128 && $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "+") && $0 != UInt8(ascii: "/") })
            #expect(VendorPayoutsCursor.decode(text) == position)
        }
    }

    @Test func refusesAnythingElse() {
        let aggregationCursor = PageCursor.encode(
            PageCursor.Position(destinationId: "user:1", time: IndexedTime(milliseconds: 0, subMillisecondNanos: 0), recordId: "r"),
            filters: AggregationQuery.Filters())
        for text in ["", "nonsense!", "WzEsInVzZXI6MSJd", "WzIsInVzZXI6MSIsIlVTRCJd", aggregationCursor, String(repeating: "A", count: 4_000)] {
            #expect(VendorPayoutsCursor.decode(text) == nil, "\(text)")
        }
    }
}
