import Synchronization

/// Tells the worker thread to finish its batch and stop. Set from the
/// service's graceful-shutdown handler, read by the blocking loop between
/// batches and while it waits.
public final class StopSignal: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    public func request() { requested.store(true, ordering: .relaxed) }

    public var isRequested: Bool { requested.load(ordering: .relaxed) }
}
