/// Nanoseconds since the start of a run, from the monotonic clock: the
/// publisher and the collector stamp their events with it.
struct RunClock: Sendable {
    let start: ContinuousClock.Instant

    init() { start = .now }

    var nanos: UInt64 { Self.nanos(ContinuousClock.now - start) }

    static func nanos(_ duration: Duration) -> UInt64 {
        let parts = duration.components
        guard parts.seconds >= 0 else { return 0 }
        return UInt64(parts.seconds) * 1_000_000_000 + UInt64(parts.attoseconds / 1_000_000_000)
    }

    static func seconds(_ nanos: UInt64) -> Double { Double(nanos) / 1e9 }
}
