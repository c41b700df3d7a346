import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Asks a blocking loop to finish the work in hand and return. Set from a
/// service's graceful-shutdown handler or a signal handler, read by the loop
/// between steps and while it sleeps.
public final class StopSignal: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    public func request() { requested.store(true, ordering: .relaxed) }

    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Sleeps for `milliseconds` in slices of at most 50 ms, so that a stop
    /// is noticed quickly (a backoff of a minute must not delay SIGTERM).
    /// - Returns: false when a stop was requested before the time was up.
    @discardableResult
    public func sleep(milliseconds: Int) -> Bool {
        var left = milliseconds
        while left > 0 {
            if isRequested { return false }
            let slice = min(left, 50)
            usleep(UInt32(slice) * 1_000)
            left -= slice
        }
        return !isRequested
    }
}
