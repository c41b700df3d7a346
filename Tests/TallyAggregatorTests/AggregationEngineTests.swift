import Foundation
import Testing
import TallyCore
@testable import TallyAggregator

/// The query engine against a real SQLite index in a temporary file (no
/// Redis): exactness, overflow, paging.
@Suite struct AggregationEngineTests {
    private func record(_ id: String, _ destination: String, _ value: String, type: String = "positive",
                        time: String = "2026-03-01T12:00:00Z", unit: String = "EUR") throws -> (record: TallyCore.Record, json: String) {
        let json = "{\"recordId\":\"\(id)\",\"time\":\"\(time)\",\"sourceId\":\"s\",\"destinationId\":\"\(destination)\",\"type\":\"\(type)\",\"value\":\"\(value)\",\"unit\":\"\(unit)\",\"reference\":\"r\"}"
        let record = try RecordValidator().validate(Array(json.utf8)).get()
        return (record, record.canonicalJSON)
    }

    private func temporaryIndex() throws -> RecordIndex {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("agg-\(UUID().uuidString).sqlite").path
        return try RecordIndex(path: path)
    }

    @Test func overflowingSumsFallBackToExactArithmetic() async throws {
        let index = try temporaryIndex()
        let big = "999999999999999999"  // 18 digits: fits alone, ten of them overflow Int64
        try index.insert((0..<10).map { try record("r\($0)", "d", big) }, lastStreamID: "1-0")
        try index.insert([try record("huge", "d", "123456789012345678901234567890.5")], lastStreamID: "2-0")
        let result = try await AggregationEngine(index: index).run(AggregationQuery(totalsOnly: true))
        #expect(result.groups.count == 1)
        #expect(result.groups[0].count == 11)
        #expect(result.groups[0].totals[0].positive == (try ExactDecimal.parse("123456789022345678901234567880.5")))
    }

    @Test func reinsertingARecordIdAddsNothing() throws {
        let index = try temporaryIndex()
        #expect(try index.insert([try record("a", "d", "1")], lastStreamID: "1-0") == 1)
        #expect(try index.insert([try record("a", "d", "1"), try record("b", "d", "2")], lastStreamID: "2-0") == 1)
        #expect(try index.recordCount() == 2)
        #expect(try index.lastCommittedStreamID() == "2-0")
    }

    @Test func pagesCoverEveryRecordOnceWithFullTotalsOnEachPage() async throws {
        let index = try temporaryIndex()
        var batch: [(record: TallyCore.Record, json: String)] = []
        for i in 0..<57 {
            batch.append(try record(
                "r\(i)", ["a", "b", "c"][i % 3], "0.\(i)", type: i % 4 == 0 ? "negative" : "positive",
                time: "2026-03-01T12:00:\(String(format: "%02d", i))Z"))
        }
        try index.insert(batch, lastStreamID: "1-0")
        let engine = AggregationEngine(index: index)
        let totals = try await engine.run(AggregationQuery(totalsOnly: true))
        var seen: [String] = []
        var query = AggregationQuery(limit: 10)
        var pages = 0
        while true {
            let page = try await engine.run(query)
            pages += 1
            for group in page.groups {
                let full = try #require(totals.groups.first { $0.destinationId == group.destinationId })
                #expect(group.count == full.count)
                #expect(group.totals == full.totals)
                seen += group.records ?? []
            }
            guard let next = page.nextCursor else { break }
            query.after = try PageCursor.decode(next, filters: query.filters)
        }
        #expect(pages == 6)
        #expect(seen.count == 57)
        #expect(Set(seen).count == 57)
    }
}
