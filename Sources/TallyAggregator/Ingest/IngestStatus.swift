import Foundation
import Synchronization

/// What the ingest thread tells the HTTP side: how far behind the log the
/// index is, for `/ready` and `/metrics`, and how many records it indexed
/// per minute, for the operator page. Written by one thread.
public final class IngestStatus: Sendable {
    private let lag = Atomic<Int>(-1)
    private let consuming = Atomic<Bool>(false)
    private let history = Mutex(IngestHistory())

    public init() {}

    /// Log entries not yet committed to the index (delivered-but-unacked
    /// plus not yet delivered); nil until first measured.
    public var lagEntries: Int? {
        let value = lag.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    /// True while the ingest thread holds a working Redis connection.
    public var isConsuming: Bool { consuming.load(ordering: .relaxed) }

    /// Records indexed per minute over the last hour, oldest first.
    public func ingestedPerMinute(now: Int = Int(time(nil))) -> [Int] {
        history.withLock { $0.perMinute(endingAt: now / 60) }
    }

    func recordIngested(_ records: Int, now: Int = Int(time(nil))) {
        history.withLock { $0.add(records, minute: now / 60) }
    }

    func setLag(_ entries: Int?) { lag.store(entries ?? -1, ordering: .relaxed) }
    func setConsuming(_ value: Bool) { consuming.store(value, ordering: .relaxed) }
}
