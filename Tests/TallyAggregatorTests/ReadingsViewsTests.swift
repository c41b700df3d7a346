import Testing
import TallyAdapters
import TallyCore
import Hummingbird
@testable import TallyAggregator

@Suite struct LocalDateRangeTests {
    @Test func windowCoversEveryOffset() throws {
        let range = try #require(try LocalDateRange.parse(from: "2018-06-14", to: "2018-06-14", required: true))
        let window = range.window
        let earliest = try RFC3339Timestamp.parse("2018-06-14T00:00:00+14:00").epochMilliseconds
        let latest = try RFC3339Timestamp.parse("2018-06-14T23:59:59.999-12:00").epochMilliseconds
        #expect(window.start == earliest)
        #expect(window.end == latest + 1)
    }

    @Test func toDefaultsToFrom() throws {
        #expect(try LocalDateRange.parse(from: "2018-06-14", to: nil, required: true) == LocalDateRange(from: "2018-06-14", to: "2018-06-14"))
    }

    @Test func badRangesNameTheParameter() throws {
        #expect(throws: InvalidParameter.self) { try LocalDateRange.parse(from: nil, to: nil, required: true) }
        #expect(throws: InvalidParameter("from", "\"2018-6-14\" is not a date YYYY-MM-DD")) {
            try LocalDateRange.parse(from: "2018-6-14", to: nil, required: true)
        }
        #expect(throws: InvalidParameter("to", "2018-06-13 is before from 2018-06-14")) {
            try LocalDateRange.parse(from: "2018-06-14", to: "2018-06-13", required: true)
        }
        #expect(throws: InvalidParameter.self) { try LocalDateRange.parse(from: "2018-01-01", to: "2018-12-31", required: true) }
        #expect(try LocalDateRange.parse(from: "2018-01-01", to: "2018-12-31", required: true, maxDays: nil) != nil)
    }
}

@Suite struct MatchSelectionTests {
    static func entry(_ run: String, _ side: MatchSide, _ date: String, _ amount: String) throws -> MatchSelection.Entry {
        MatchSelection.Entry(reference: MatchReference(run: run, side: side, date: date), amount: try ExactDecimal.parse(amount))
    }

    let early = "2018-06-27T16:39:36+12:00"
    let late = "2018-06-27T05:00:00Z"  // 17:00 at +12: later than `early` although it sorts first as text

    @Test func latestRunIsByInstantNotText() throws {
        let entries = [try Self.entry(early, .buyer, "2018-06-13", "1"), try Self.entry(late, .buyer, "2018-06-13", "2")]
        #expect(MatchSelection.chosenRun(entries, named: nil) == late)
        #expect(MatchSelection.chosenRun(entries, named: early) == early)
        #expect(MatchSelection.runs(entries).map(\.run) == [late, early])
    }

    @Test func daysSumOneRunAndSideExactly() throws {
        let entries = [
            try Self.entry(early, .buyer, "2018-06-13", "0.0040"), try Self.entry(early, .buyer, "2018-06-13", "0.0160"),
            try Self.entry(early, .seller, "2018-06-13", "0.5"), try Self.entry(late, .buyer, "2018-06-13", "9"),
            try Self.entry(early, .buyer, "2018-06-14", "0.1"),
        ]
        let days = MatchSelection.days(entries, run: early, side: .buyer, range: nil)
        #expect(days.map(\.date) == ["2018-06-13", "2018-06-14"])
        #expect(days[0].total.description == "0.0200")
        #expect(days[0].count == 2)
        let sum = MatchSelection.sum(days)
        #expect(sum.count == 3)
        #expect(sum.total.description == "0.1200")
        let limited = MatchSelection.days(entries, run: early, side: .buyer, range: LocalDateRange(from: "2018-06-14", to: "2018-06-14"))
        #expect(limited.map(\.date) == ["2018-06-14"])
    }

    @Test func methodGuardKnowsTheViewPaths() {
        #expect(ReadingsPaths.isServed("/v1/readings/33"))
        #expect(ReadingsPaths.isServed("/v1/matches"))
        #expect(ReadingsPaths.isServed("/v1/matches/33/runs"))
        #expect(!ReadingsPaths.isServed("/v1/matches/33/other"))
        #expect(!ReadingsPaths.isServed("/v1/readings"))
    }
}

@Suite struct MatchOutputRowsTests {
    static func entry(_ run: String, _ side: MatchSide, _ date: String, _ time: String, _ amount: String) throws -> MatchSelection.Entry {
        MatchSelection.Entry(
            reference: MatchReference(run: run, side: side, date: date), amount: try ExactDecimal.parse(amount),
            recordId: MatchRecordId(run: run, icp: "109", date: date, time: time, side: side))
    }

    let run = "2018-06-27T16:39:36+12:00"
    let other = "2018-06-28T09:00:00+12:00"

    @Test func rowsOfOneRunInIntervalOrderBuyerFirst() throws {
        let entries = [
            try Self.entry(run, .seller, "2018-06-13", "00:30:00", "0.0040"), try Self.entry(other, .buyer, "2018-06-13", "00:00:00", "9"),
            try Self.entry(run, .seller, "2018-06-13", "00:00:00", "0.0010"), try Self.entry(run, .buyer, "2018-06-13", "00:00:00", "0.0180"),
            try Self.entry(run, .buyer, "2018-06-12", "23:30:00", "1"), try Self.entry(run, .buyer, "2018-06-14", "00:00:00", "2"),
        ]
        let range = LocalDateRange(from: "2018-06-13", to: "2018-06-13")
        let rows = MatchSelection.rows(entries, run: run, side: nil, range: range)
        #expect(rows.map { "\($0.date) \($0.time) \($0.side.rawValue) \($0.amount)" } == [
            "2018-06-13 00:00:00 buyer 0.0180", "2018-06-13 00:00:00 seller 0.0010", "2018-06-13 00:30:00 seller 0.0040",
        ])
        #expect(MatchSelection.rows(entries, run: run, side: .seller, range: range).count == 2)
        #expect(MatchSelection.rows(entries, run: other, side: nil, range: range).map(\.amount.description) == ["9"])
    }
}

@Suite struct KeyPageLimitTests {
    /// Admits rows grouped by ICP until the limit refuses one; returns the ICPs admitted and the refused row's ICP.
    static func page(_ icps: [String], _ limit: KeyPageLimit) -> (admitted: [String], nextStartsWith: String?) {
        var limit = limit
        var admitted: [String] = []
        for icp in icps {
            guard limit.admit(icp: icp) else { return (admitted, icp) }
            if admitted.last != icp { admitted.append(icp) }
        }
        return (admitted, nil)
    }

    @Test func endsAfterLimitIcps() {
        let rows = ["a", "a", "b", "c", "c", "c", "d"]
        #expect(Self.page(rows, KeyPageLimit(icps: 2, rows: 100)) == (["a", "b"], "c"))
        #expect(Self.page(rows, KeyPageLimit(icps: 4, rows: 100)) == (["a", "b", "c", "d"], nil))
    }

    /// The row budget ends a page only between ICPs: the ICP that crosses it stays whole.
    @Test func endsAfterTheIcpThatCrossesTheRowBudget() {
        let rows = ["a", "b", "b", "b", "b", "c", "d"]
        #expect(Self.page(rows, KeyPageLimit(icps: 100, rows: 2)) == (["a", "b"], "c"))
        #expect(Self.page(rows, KeyPageLimit(icps: 100, rows: 5)) == (["a", "b"], "c"))
        #expect(Self.page(rows, KeyPageLimit(icps: 100, rows: 6)) == (["a", "b", "c"], "d"))
        #expect(Self.page(["a", "a", "a"], KeyPageLimit(icps: 1, rows: 1)) == (["a"], nil), "one ICP is never split")
    }
}
