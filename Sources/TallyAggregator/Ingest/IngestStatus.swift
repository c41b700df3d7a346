import Synchronization

/// What the ingest thread tells the HTTP side: how far behind the log the
/// index is, for `/ready` and `/metrics`. Lock-free; written by one thread.
public final class IngestStatus: Sendable {
    private let lag = Atomic<Int>(-1)
    private let consuming = Atomic<Bool>(false)

    public init() {}

    /// Log entries not yet committed to the index (delivered-but-unacked
    /// plus not yet delivered); nil until first measured.
    public var lagEntries: Int? {
        let value = lag.load(ordering: .relaxed)
        return value < 0 ? nil : value
    }

    /// True while the ingest thread holds a working Redis connection.
    public var isConsuming: Bool { consuming.load(ordering: .relaxed) }

    func setLag(_ entries: Int?) { lag.store(entries ?? -1, ordering: .relaxed) }
    func setConsuming(_ value: Bool) { consuming.store(value, ordering: .relaxed) }
}
