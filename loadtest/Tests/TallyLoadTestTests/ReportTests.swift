import Foundation
import Testing
@testable import TallyLoadTest

@Suite struct ReportTests {
    func report(passed: Bool) -> LoadReport {
        var profile = LoadProfile(runId: "r", messages: 10)
        profile.units = ["EUR"]
        let plan = LoadPlan(profile: profile, alerts: .init())
        var verification = Verification()
        verification.check("one notification identity per unique valid record (none lost)", expected: 10, observed: passed ? 10 : 9, passed: passed)
        if !passed { verification.note("no notification for r-3 <script>") }
        var series = ThroughputSeries()
        series.recordPublished(atNanos: 0, count: 10)
        series.recordOutput(atNanos: 1_100_000_000, count: 10)
        let latency = LatencySummary.of(publishNanos: Array(repeating: 1, count: 10), receiveNanos: (1...10).map { UInt64($0) * 1_000_000 })
        return LoadReport(
            name: "t", mode: "tally", startedAt: "2026-11-21T12:00:00Z", command: "tally-loadtest --records 10",
            machine: .init(hostname: "h", cores: 2, loadAverageStart: 1.5, loadAverageEnd: 1.7), profile: profile, rate: "unlimited",
            backlog: false, counts: .init(plan: plan), throughput: .init(seconds: 2, messages: 10, records: 10, publishSeconds: 1),
            latency: latency, baseline: .init(against: "baseline", messagesPerSecond: 10, ratio: 0.5), reference: nil,
            workers: [.init(pid: 7, cpuSeconds: 0.5, wallSeconds: 2, messages: 10, peakResidentBytes: 30 << 20, residentBytesAtEnd: 29 << 20)],
            redis: .init(rememberedRecordIds: 10, addedRecordIds: 10, claimBytes: 440, usedMemoryGrowth: 2_400, records: 10),
            verification: verification, series: series)
    }

    @Test func jsonRoundTripsAndCarriesTheVerdict() throws {
        let failed = report(passed: false)
        let data = try failed.json()
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"passed\" : false"))
        let back = try LoadReport.decode(data)
        #expect(back.throughput.messagesPerSecond == 5)
        #expect(back.redis?.bytesPerRememberedRecordId == 44)
        #expect(back.verification == failed.verification)
    }

    @Test func tableNamesTheFiguresAndTheVerdict() {
        let table = SummaryTable.render(report(passed: true))
        #expect(table.contains("5 messages/s"))
        #expect(table.contains("0.50 × the broker-only relay"))
        #expect(table.contains("44.0 bytes per remembered recordId"))
        #expect(table.contains("PASSED"))
        #expect(SummaryTable.render(report(passed: false)).contains("FAILED"))
    }

    @Test func htmlIsSelfContainedWithBothChartsAndEscapes() {
        let html = HTMLReport.render(report(passed: false))
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("<polyline"))
        #expect(html.contains("<rect x="))
        #expect(html.contains("&lt;script&gt;"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    }
}

extension ReportTests {
    @Test func resultsTableHasARowPerReport() {
        let table = ResultsTable.markdown([report(passed: true), report(passed: false)])
        let lines = table.split(separator: "\n")
        #expect(lines.count == 4)
        #expect(lines[2].contains("| t |") && lines[2].contains("passed"))
        #expect(lines[3].contains("FAILED"))
        #expect(lines[2].contains("0.50 (10 msg/s)"))
    }
}
