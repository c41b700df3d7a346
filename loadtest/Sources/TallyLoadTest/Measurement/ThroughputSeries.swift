/// Messages per second over a run, in one-second bins from its start:
/// what was published, and what came out (notifications, dead letters).
public struct ThroughputSeries: Sendable, Codable, Equatable {
    public private(set) var published: [Int] = []
    public private(set) var outputs: [Int] = []

    public init() {}

    public mutating func recordPublished(atNanos nanos: UInt64, count: Int = 1) {
        Self.add(&published, second: Int(nanos / 1_000_000_000), count: count)
    }

    public mutating func recordOutput(atNanos nanos: UInt64, count: Int = 1) {
        Self.add(&outputs, second: Int(nanos / 1_000_000_000), count: count)
    }

    /// The two series of `a` and `b` added (the publisher and the collector
    /// each keep their own on their own thread).
    public static func merged(_ a: ThroughputSeries, _ b: ThroughputSeries) -> ThroughputSeries {
        var out = ThroughputSeries()
        for (second, count) in a.published.enumerated() { add(&out.published, second: second, count: count) }
        for (second, count) in b.published.enumerated() { add(&out.published, second: second, count: count) }
        for (second, count) in a.outputs.enumerated() { add(&out.outputs, second: second, count: count) }
        for (second, count) in b.outputs.enumerated() { add(&out.outputs, second: second, count: count) }
        return out
    }

    public var seconds: Int { max(published.count, outputs.count) }

    private static func add(_ bins: inout [Int], second: Int, count: Int) {
        if bins.count <= second { bins.append(contentsOf: repeatElement(0, count: second + 1 - bins.count)) }
        bins[second] += count
    }
}
