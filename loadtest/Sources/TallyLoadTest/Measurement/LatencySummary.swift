import Histogram

/// End-to-end latency (publish → notification received) of the records
/// of a run, recorded in an HdrHistogram at microsecond resolution with
/// three significant digits. Timings are the one place floats belong.
public struct LatencySummary: Sendable, Codable, Equatable {
    public struct Bucket: Sendable, Codable, Equatable {
        /// Upper edge of the bucket, milliseconds.
        public let upToMilliseconds: Double
        public let count: UInt64
    }

    public let count: UInt64
    public let p50Milliseconds: Double
    public let p90Milliseconds: Double
    public let p99Milliseconds: Double
    public let p999Milliseconds: Double
    public let maxMilliseconds: Double
    public let meanMilliseconds: Double
    /// Logarithmic buckets (each twice the last) for the distribution chart.
    public let distribution: [Bucket]

    /// Summarizes pairs of publish and receive instants in nanoseconds
    /// (a receive of 0 means not received and is skipped).
    public static func of(publishNanos: [UInt64], receiveNanos: [UInt64]) -> LatencySummary? {
        var histogram = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        for index in 0..<min(publishNanos.count, receiveNanos.count) {
            let received = receiveNanos[index]
            let published = publishNanos[index]
            guard received != 0, published != 0 else { continue }
            let micros = received > published ? (received - published) / 1_000 : 0
            _ = histogram.record(max(micros, 1))
        }
        return of(histogram)
    }

    public static func of(_ histogram: Histogram<UInt64>) -> LatencySummary? {
        guard histogram.totalCount > 0 else { return nil }
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1_000 }
        var buckets: [Bucket] = []
        for step in histogram.logarithmicBucketValues(valueUnitsInFirstBucket: 250, logBase: 2) {
            buckets.append(Bucket(upToMilliseconds: ms(step.value), count: step.countAddedInThisIterationStep))
        }
        return LatencySummary(
            count: histogram.totalCount, p50Milliseconds: ms(histogram.valueAtPercentile(50)),
            p90Milliseconds: ms(histogram.valueAtPercentile(90)), p99Milliseconds: ms(histogram.valueAtPercentile(99)),
            p999Milliseconds: ms(histogram.valueAtPercentile(99.9)), maxMilliseconds: ms(histogram.max),
            meanMilliseconds: histogram.mean / 1_000, distribution: buckets)
    }
}
