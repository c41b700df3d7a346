/// Capped exponential backoff for reconnecting to Redis or the broker:
/// quick to recover from a blip, gentle on a server that is down.
public struct BackoffPolicy: Sendable, Equatable {
    public var initialMilliseconds = 100
    public var maximumMilliseconds = 5_000

    public init(initialMilliseconds: Int = 100, maximumMilliseconds: Int = 5_000) {
        self.initialMilliseconds = initialMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
    }

    /// The wait before attempt `failures + 1`, after `failures` failures in a row.
    public func delayMilliseconds(afterFailures failures: Int) -> Int {
        guard failures > 0 else { return 0 }
        let doublings = min(failures - 1, 30)
        let delay = initialMilliseconds.multipliedReportingOverflow(by: 1 << doublings)
        return delay.overflow ? maximumMilliseconds : min(delay.partialValue, maximumMilliseconds)
    }
}
