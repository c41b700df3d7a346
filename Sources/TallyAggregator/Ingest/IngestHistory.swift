/// Records indexed per minute over the last hour, for the operator page's
/// ingest chart. Pure: the minute is given, so tests need no clock.
public struct IngestHistory: Sendable, Equatable {
    public static let minutes = 60
    /// Counts by minute number (epoch seconds / 60) modulo ``minutes``.
    private var counts = [Int](repeating: 0, count: IngestHistory.minutes)
    /// The minute each slot of ``counts`` belongs to (-1: never written).
    private var slotMinute = [Int](repeating: -1, count: IngestHistory.minutes)

    public init() {}

    /// Adds `records` indexed during `minute`.
    public mutating func add(_ records: Int, minute: Int) {
        let slot = minute % Self.minutes
        if slotMinute[slot] != minute {
            slotMinute[slot] = minute
            counts[slot] = 0
        }
        counts[slot] += records
    }

    /// The last ``minutes`` minutes up to and including `minute`, oldest
    /// first; minutes without an ingest count 0.
    public func perMinute(endingAt minute: Int) -> [Int] {
        (minute - Self.minutes + 1...minute).map { wanted in
            let slot = ((wanted % Self.minutes) + Self.minutes) % Self.minutes
            return slotMinute[slot] == wanted ? counts[slot] : 0
        }
    }
}
