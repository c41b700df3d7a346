import Testing
import TallyCore
@testable import TallyAggregator

@Suite struct AggregationQueryParserTests {
    private func parse(_ pairs: [(String, String)]) throws(InvalidParameter) -> AggregationQuery {
        try AggregationQueryParser.parse(pairs.map { (name: $0.0, value: $0.1) })
    }

    private func rejected(_ pairs: [(String, String)]) -> InvalidParameter? {
        do {
            _ = try parse(pairs)
            return nil
        } catch {
            return error
        }
    }

    @Test func noParametersMeansEverythingFirstPage() throws {
        let query = try parse([])
        #expect(query == AggregationQuery())
        #expect(query.limit == 100)
    }

    @Test func everyFilterIsRead() throws {
        let query = try parse([
            ("start", "2026-03-01T00:00:00Z"), ("end", "2026-03-02T01:00:00+01:00"), ("type", "negative"),
            ("destinationId", "acct-1"), ("sourceId", "billing"), ("reference", "inv 4"), ("limit", "1000"),
            ("totalsOnly", "true"),
        ])
        #expect(query.filters.start == IndexedTime(milliseconds: 1_772_323_200_000, subMillisecondNanos: 0))
        #expect(query.filters.end == IndexedTime(milliseconds: 1_772_409_600_000, subMillisecondNanos: 0))
        #expect(query.filters.type == .negative)
        #expect(query.filters.destinationId == "acct-1")
        #expect(query.filters.sourceId == "billing")
        #expect(query.filters.reference == "inv 4")
        #expect(query.limit == 1000)
        #expect(query.totalsOnly)
    }

    @Test func nanosecondsAreKept() throws {
        let query = try parse([("start", "2026-03-01T00:00:00.123456789Z")])
        #expect(query.filters.start == IndexedTime(milliseconds: 1_772_323_200_123, subMillisecondNanos: 456_789))
    }

    @Test func startEqualToEndIsAnEmptyWindowNotAnError() throws {
        _ = try parse([("start", "2026-03-01T00:00:00Z"), ("end", "2026-03-01T01:00:00+01:00")])
    }

    @Test(arguments: [
        ([("start", "yesterday")], "start"),
        ([("start", "2026-03-01T00:00:00")], "start"),  // no offset
        ([("end", "2026-02-30T00:00:00Z")], "end"),
        ([("end", "")], "end"),
        ([("start", "2026-03-02T00:00:00Z"), ("end", "2026-03-01T00:00:00Z")], "start"),
        ([("type", "credit")], "type"),
        ([("type", "")], "type"),
        ([("limit", "0")], "limit"),
        ([("limit", "1001")], "limit"),
        ([("limit", "-1")], "limit"),
        ([("limit", "ten")], "limit"),
        ([("limit", "99999999999999999999")], "limit"),
        ([("limit", "")], "limit"),
        ([("cursor", "not a cursor")], "cursor"),
        ([("cursor", "")], "cursor"),
        ([("cursor", "WzFd")], "cursor"),  // "[1]"
        ([("destinationId", "")], "destinationId"),
        ([("sourceId", String(repeating: "x", count: 257))], "sourceId"),
        ([("reference", "")], "reference"),
        ([("totalsOnly", "yes")], "totalsOnly"),
        ([("type", "positive"), ("type", "negative")], "type"),
    ] as [([(String, String)], String)])
    func badParametersAreNamed(_ pairs: [(String, String)], _ parameter: String) {
        let error = rejected(pairs)
        #expect(error?.parameter == parameter, "\(pairs)")
        #expect(error?.reason.isEmpty == false)
    }

    /// A misspelt filter must not silently return everything.
    @Test func unknownParametersAreRefusedByName() {
        let error = rejected([("destinationID", "acct-1")])
        #expect(error?.parameter == "destinationID")
        #expect(error?.reason.contains("destinationId") == true, "the message lists the known names")
        #expect(rejected([("type", "positive"), ("foo", "bar")])?.parameter == "foo")
    }

    @Test func aCursorWorksOnlyWithItsOwnFilters() throws {
        let filters = AggregationQuery.Filters(type: .positive, destinationId: "acct-1")
        let position = PageCursor.Position(
            destinationId: "acct-1", time: IndexedTime(milliseconds: 5, subMillisecondNanos: 7), recordId: "r-\"1")
        let cursor = PageCursor.encode(position, filters: filters)
        let query = try parse([("type", "positive"), ("destinationId", "acct-1"), ("cursor", cursor), ("limit", "5")])
        #expect(query.after == position)
        #expect(rejected([("type", "negative"), ("destinationId", "acct-1"), ("cursor", cursor)])?.parameter == "cursor")
        #expect(rejected([("cursor", cursor)])?.parameter == "cursor")
    }
}
