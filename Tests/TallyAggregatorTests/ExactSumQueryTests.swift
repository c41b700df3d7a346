import Foundation
import GRDB
import TallyCore
import Testing

@testable import TallyAggregator

/// The index's one way of adding values up, against a real SQLite file:
/// exact across scales, text values and overflowing sums, in byte order,
/// and able to stop early.
@Suite struct ExactSumQueryTests {
    private func record(_ id: String, destination: String, value: String, unit: String = "EUR") throws -> (record: TallyCore.Record, json: String) {
        let json = #"{"recordId":"\#(id)","time":"2026-03-01T12:00:00Z","sourceId":"s","destinationId":\#(JSONWriter.quoted(destination)),"type":"positive","value":"\#(value)","unit":"\#(unit)","reference":"r"}"#
        let record = try RecordValidator().validate(Array(json.utf8)).get()
        return (record, record.canonicalJSON)
    }

    private func index(_ entries: [(record: TallyCore.Record, json: String)]) throws -> RecordIndex {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sums-\(UUID().uuidString).sqlite").path
        let index = try RecordIndex(path: path)
        try index.insert(entries, lastStreamID: "1-0")
        return index
    }

    /// Runs the query by destination and unit; returns what was visited
    /// last (after any restart) and how many restarts there were.
    private func sums(_ index: RecordIndex, stopAfter: Int = .max) async throws -> (groups: [String], restarts: Int) {
        try await index.pool.read { db in
            var groups: [String] = []
            var restarts = 0
            try ExactSumQuery(groupBy: ["destination", "unit"], table: "records", filter: SQLFilter())
                .run(db, restart: { groups = []; restarts += 1 }) { group in
                    groups.append("\(group.string(0)) \(group.string(1)) \(group.total) (\(group.count))")
                    return groups.count < stopAfter
                }
            return (groups, restarts)
        }
    }

    @Test func addsAcrossScalesAndTextValuesExactly() async throws {
        let index = try index([
            try record("1", destination: "a", value: "10"),
            try record("2", destination: "a", value: "0.5"),
            try record("3", destination: "a", value: "0.125"),
            try record("4", destination: "a", value: "12345678901234567890.25"),  // beyond an Int64 mantissa
            try record("5", destination: "a", value: "1", unit: "kWh"),
            try record("6", destination: "b", value: "2"),
        ])
        let result = try await sums(index)
        #expect(result.groups == ["a EUR 12345678901234567900.875 (4)", "a kWh 1 (1)", "b EUR 2 (1)"])
        #expect(result.restarts == 0)
    }

    /// SQLite reports an overflowing integer SUM while stepping, possibly
    /// after groups before it were visited: those are forgotten and every
    /// group is visited again from the values, exactly.
    @Test func anOverflowingSumRestartsValueByValue() async throws {
        let big = "999999999999999999"  // fits an Int64 alone; ten overflow the sum
        let index = try index(
            [try record("small", destination: "a", value: "1.5")]
                + (0..<10).map { try record("big-\($0)", destination: "b", value: big) })
        let result = try await sums(index)
        #expect(result.groups == ["a EUR 1.5 (1)", "b EUR 9999999999999999990 (10)"])
        #expect(result.restarts == 1)
    }

    @Test func keysAreComparedAsBytes() async throws {
        let composed = "caf\u{E9}"
        let decomposed = "cafe\u{301}"
        let index = try index([
            try record("1", destination: composed, value: "1"), try record("2", destination: decomposed, value: "2"),
        ])
        let result = try await sums(index)
        #expect(result.groups.count == 2, "canonically equivalent destinations are two groups: \(result.groups)")
    }

    @Test func stopsWhenTheVisitorSaysSo() async throws {
        let index = try index((0..<5).map { try record("\($0)", destination: "d\($0)", value: "1") })
        #expect(try await sums(index, stopAfter: 2).groups == ["d0 EUR 1 (1)", "d1 EUR 1 (1)"])
    }
}
