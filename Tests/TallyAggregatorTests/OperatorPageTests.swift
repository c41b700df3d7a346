import Foundation
import Testing
import TallyCore
@testable import TallyAggregator

/// The operator page's parts without a process: the per-minute ingest
/// history, the index overview against a real SQLite index, the page's
/// escaping and chart geometry.
@Suite struct OperatorPageTests {
    @Test func historyKeepsTheLastHourAndForgetsOlderMinutes() {
        var history = IngestHistory()
        history.add(5, minute: 1_000)
        history.add(7, minute: 1_000)
        history.add(3, minute: 1_002)
        var hour = history.perMinute(endingAt: 1_002)
        #expect(hour.count == 60)
        #expect(Array(hour.suffix(3)) == [12, 0, 3])
        #expect(hour.reduce(0, +) == 15)
        // Sixty minutes later minute 1,000's slot is reused: its count is gone.
        history.add(1, minute: 1_060)
        hour = history.perMinute(endingAt: 1_060)
        #expect(hour.last == 1 && hour.reduce(0, +) == 4, "1,002's 3 and 1,060's 1")
        #expect(history.perMinute(endingAt: 2_000).allSatisfy { $0 == 0 })
    }

    private func record(_ id: String, destination: String, type: String, value: String, unit: String) throws -> (record: TallyCore.Record, json: String) {
        let json = "{\"recordId\":\"\(id)\",\"time\":\"2026-05-01T00:00:00Z\",\"sourceId\":\"s\",\"destinationId\":" + JSONWriter.quoted(destination)
            + ",\"type\":\"\(type)\",\"value\":\"\(value)\",\"unit\":" + JSONWriter.quoted(unit) + ",\"reference\":\"r\"}"
        let record = try RecordValidator().validate(Array(json.utf8)).get()
        return (record, record.canonicalJSON)
    }

    @Test func theOverviewCountsAndSumsTheWholeIndexExactly() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("overview-\(UUID().uuidString).sqlite").path
        let index = try RecordIndex(path: path)
        var entries = [
            try record("1", destination: "b", type: "positive", value: "1.25", unit: "EUR"),
            try record("2", destination: "b", type: "negative", value: "0.5", unit: "EUR"),
            try record("3", destination: "a", type: "positive", value: "99999999999999999999.5", unit: "EUR"),
            try record("4", destination: "c", type: "positive", value: "2", unit: "kWh"),
        ]
        for i in 0..<3 { entries.append(try record("c\(i)", destination: "c", type: "negative", value: "0.001", unit: "kWh")) }
        try index.insert(entries, lastStreamID: "1-0")

        let overview = try await IndexOverview.read(from: index)
        #expect(overview.records == 7 && overview.destinations == 3)
        #expect(overview.units.map(\.unit) == ["EUR", "kWh"])
        let sums = try ["100000000000000000000.75", "0.5", "2", "0.003"].map { try ExactDecimal.parse($0) }
        #expect(overview.units[0].positive == sums[0])
        #expect(overview.units[0].negative == sums[1] && overview.units[0].records == 3)
        #expect(overview.units[1].positive == sums[2] && overview.units[1].negative == sums[3])
        #expect(overview.largest == [.init(destinationId: "c", records: 4), .init(destinationId: "b", records: 2), .init(destinationId: "a", records: 1)])
    }

    @Test func thePageEscapesNamesAndDrawsBarsInProportion() throws {
        var overview = IndexOverview()
        overview.records = 30
        overview.destinations = 2
        overview.units = [.init(unit: "<EUR>", positive: try ExactDecimal.parse("10.5"), negative: try ExactDecimal.parse("0.25"), records: 30)]
        overview.largest = [.init(destinationId: "acct \"1\" & <b>", records: 20), .init(destinationId: "acct-2", records: 10)]
        let perMinute = [Int](repeating: 0, count: 58) + [40, 20]
        let html = OperatorPage.render(overview, ingest: .init(perMinute: perMinute, lagEntries: 3, consuming: true), version: "9.9.9")
        #expect(!html.contains("<EUR>") && !html.contains("<b>"), "names are escaped")
        #expect(html.contains("data-unit=\"&lt;EUR&gt;\"") && html.contains("<td data-field=\"net\">10.25</td>"))
        #expect(html.contains("<span data-field=\"lastHour\">60</span>") && html.contains("<span data-field=\"lag\">3</span>"))
        // The busiest minute fills the chart's 80 units; half of it, half.
        #expect(html.contains("data-minute=\"58\" x=\"581\" y=\"0\" width=\"8\" height=\"80\""))
        #expect(html.contains("data-minute=\"59\" x=\"591\" y=\"40\" width=\"8\" height=\"40\""))
        // The largest destination's bar is the full 400; the other half.
        #expect(html.contains("<rect x=\"0\" y=\"3\" width=\"400\"") && html.contains("<rect x=\"0\" y=\"25\" width=\"200\""))
        #expect(!html.contains("<script"))
    }
}
