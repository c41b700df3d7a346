import Synchronization

/// Counters the publisher and collector threads bump and the progress
/// line reads: atomics, so nobody waits on anybody.
final class LiveCounters: Sendable {
    let published = Atomic<Int>(0)
    let notifications = Atomic<Int>(0)
    let alerts = Atomic<Int>(0)
    let deadLetters = Atomic<Int>(0)
    /// Set by the collector when every expected output has arrived.
    let completeAtNanos = Atomic<UInt64>(0)
    let stop = Atomic<Bool>(false)
}
