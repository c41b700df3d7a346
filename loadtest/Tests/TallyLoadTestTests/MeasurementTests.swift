import Foundation
import Testing
@testable import TallyLoadTest

@Suite struct MeasurementTests {
    @Test func percentilesComeFromTheRecordedLatencies() throws {
        // 1..1000 ms: p50 ≈ 500 ms, p99 ≈ 990 ms, max 1000 ms.
        let publish = (0..<1_000).map { _ in UInt64(1_000_000) }
        let receive = (1...1_000).map { UInt64(1_000_000 + $0 * 1_000_000) }
        let summary = try #require(LatencySummary.of(publishNanos: publish, receiveNanos: receive))
        #expect(summary.count == 1_000)
        #expect(abs(summary.p50Milliseconds - 500) < 1)
        #expect(abs(summary.p99Milliseconds - 990) < 1.5)
        #expect(abs(summary.maxMilliseconds - 1_000) < 1.5)
        #expect(summary.distribution.reduce(0) { $0 + $1.count } == 1_000)
        #expect(LatencySummary.of(publishNanos: [1], receiveNanos: [0]) == nil)
    }

    @Test func ratesParseInTheirUnits() throws {
        #expect(try RateSpec(parsing: "100000/h").perSecond == 100_000.0 / 3_600)
        #expect(try RateSpec(parsing: "600/min").perSecond == 10)
        #expect(try RateSpec(parsing: "250/s").perSecond == 250)
        #expect(try RateSpec(parsing: "0").isUnlimited)
        #expect(try RateSpec(parsing: "10").dueNanos(of: 5) == 500_000_000)
        #expect(throws: LoadTestError.self) { try RateSpec(parsing: "fast") }
        #expect(throws: LoadTestError.self) { try RateSpec(parsing: "-3/s") }
    }

    @Test func procFilesParse() throws {
        let stat = "1234 (tally worker) S 1 1234 1234 0 -1 4194560 2000 0 0 0 150 25 0 0 20 0 9 0 100 1000000 5000"
        let status = "Name:\ttally-worker\nVmHWM:\t   40000 kB\nVmRSS:\t   38000 kB\n"
        let sample = try ProcessSample.parse(stat: stat, status: status)
        #expect(sample.cpuTicks == 175)
        #expect(sample.residentBytes == 38_000 * 1_024)
        #expect(sample.peakResidentBytes == 40_000 * 1_024)
        #expect(throws: LoadTestError.self) { try ProcessSample.parse(stat: "garbage", status: status) }
    }

    @Test func seriesBinBySecondAndMerge() {
        var a = ThroughputSeries()
        a.recordPublished(atNanos: 100)
        a.recordPublished(atNanos: 2_500_000_000, count: 3)
        var b = ThroughputSeries()
        b.recordOutput(atNanos: 1_200_000_000, count: 2)
        let merged = ThroughputSeries.merged(a, b)
        #expect(merged.published == [1, 0, 3])
        #expect(merged.outputs == [0, 2])
        #expect(merged.seconds == 3)
    }
}
