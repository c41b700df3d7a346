/// When the vendor poller may send its next request: the vendor's whole
/// budget (`limit` requests per rolling `windowMilliseconds`), never more.
/// Pure: instants are milliseconds of whatever clock the caller injects
/// (the poller: the wall clock, shared across restarts through Redis;
/// the tests: a fake one).
///
/// **A slot starts when the request is sent**, as the vendor counts it (at
/// arrival, which follows the send by the one-way delay). Every `limit`-th
/// send is at least `windowMilliseconds + marginMilliseconds` after the
/// one before it, so the vendor sees at most `limit` arrivals in any window
/// as long as the one-way delays of two requests `limit` apart differ by
/// no more than the margin (and the two clocks' rates by no more than the
/// margin per window). Counting from the completion instead, as this
/// poller once did, adds each request's latency to its slot: the budget
/// cannot then be used, and at 1,000 transactions per request 5,000 new
/// transactions a minute are not kept up with.
///
/// **Spacing.** Consecutive sends are at least spacing = (window +
/// margin) / limit apart (12,020 ms for 5 per 60,000 + 100 ms), which by
/// itself keeps every `limit`-th send a window + margin apart; caught up
/// (the last page said no more), at least `max(idle, spacing)`. Never a
/// burst: a burst spends a slot on the small tail that arrived since the
/// full page before it, and the slots then stay bunched, window after
/// window, with a whole window's gap between the bunches (a measured 36 s
/// without a request, lag to match). Evenly spread, each request collects
/// what arrived in the last 12 s (at most 1,000), and behind, every request
/// is a full page: 1,000 per 12.02 s, about 4,992 a minute.
public struct VendorRequestPacer: Sendable, Equatable {
    public let limit: Int
    public let windowMilliseconds: Int64
    public let marginMilliseconds: Int64
    public let idleMilliseconds: Int64
    /// The send instants of the last `limit` requests, in a window widened by the margin.
    public private(set) var window: SlidingWindowRateLimiter

    public init(limit: Int, windowMilliseconds: Int64, marginMilliseconds: Int64, idleMilliseconds: Int64, sent: [Int64] = []) {
        precondition(marginMilliseconds >= 0 && idleMilliseconds >= 0, "the margin and the idle wait are not negative")
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
        self.marginMilliseconds = marginMilliseconds
        self.idleMilliseconds = idleMilliseconds
        window = SlidingWindowRateLimiter(limit: limit, windowMilliseconds: windowMilliseconds + marginMilliseconds, instants: sent)
    }

    /// The even spacing that uses the whole budget: (window + margin) /
    /// limit, rounded up.
    public var spacingMilliseconds: Int64 {
        let span = windowMilliseconds + marginMilliseconds
        let count = Int64(limit)
        return (span + count - 1) / count
    }

    /// The send instants remembered (ascending; at most `limit`).
    public var sendInstants: [Int64] { window.instants }

    /// The earliest instant, not before `now`, at which the next request
    /// may be sent: the window allows it and the spacing has passed since
    /// the last send (the idle wait too when `caughtUp`, the last page
    /// having said there was no more).
    public func nextSend(at now: Int64, caughtUp: Bool) -> Int64 {
        var next = window.nextAllowed(at: now)
        if let last = window.instants.last {
            next = max(next, last + (caughtUp ? max(idleMilliseconds, spacingMilliseconds) : spacingMilliseconds))
        }
        return next
    }

    /// Remembers a request sent at `instant` (also one restored from Redis).
    public mutating func sent(at instant: Int64) { window.record(instant) }

    /// Moves a remembered send instant to a later one (the instant taken
    /// just before the request really left, after its reservation was
    /// stored). Never earlier: a slot must not start before the send.
    public mutating func resent(_ recorded: Int64, at actual: Int64) {
        guard actual > recorded else { return }
        window.replace(recorded, with: actual)
    }
}
