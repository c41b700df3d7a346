/// At most `limit` requests in any window of `windowMilliseconds`: the
/// vendor's rule (5 per rolling minute), kept as a sliding window of the
/// instants of the last `limit` requests. Pure: instants are plain
/// milliseconds from whatever clock the caller uses, so tests drive it with
/// a fake clock and the poller with the wall clock (shared across restarts
/// through Redis).
///
/// The same type serves both sides: the poller asks ``nextAllowed(at:)``
/// before each request, the vendor simulator ``admit(at:)``s each arrival.
///
/// Which instant a caller records matters. The server counts a request when
/// it *arrives*, one network delay after the send. The vendor poller
/// (``VendorRequestPacer``) records the send instant in a window widened by
/// a margin that covers the difference between two requests' delays:
/// recording the completion instead would be safe with no margin at all,
/// but would add every request's latency to its slot, and then the budget
/// cannot be used (see ``VendorRequestPacer``).
public struct SlidingWindowRateLimiter: Sendable, Equatable {
    public let limit: Int
    public let windowMilliseconds: Int64
    /// The last `limit` instants recorded, ascending.
    public private(set) var instants: [Int64]

    public init(limit: Int, windowMilliseconds: Int64, instants: [Int64] = []) {
        precondition(limit > 0 && windowMilliseconds > 0, "a rate limit needs a positive limit and window")
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
        self.instants = []
        for instant in instants { record(instant) }
    }

    /// The earliest instant, not before `now`, at which one more request
    /// keeps every window at most `limit` requests: `now` while fewer than
    /// `limit` requests are remembered, else the `limit`-th most recent one
    /// plus the window.
    public func nextAllowed(at now: Int64) -> Int64 {
        guard instants.count >= limit else { return now }
        return max(now, instants[instants.count - limit] + windowMilliseconds)
    }

    /// How many remembered requests fall in the window that ends at `now`
    /// (arrivals after `now - window`), as a server counts them.
    public func inWindow(at now: Int64) -> Int {
        instants.reduce(0) { $0 + ($1 > now - windowMilliseconds ? 1 : 0) }
    }

    /// Remembers a request at `instant` (kept sorted; only the last `limit`
    /// matter, older ones are forgotten).
    public mutating func record(_ instant: Int64) {
        let position = instants.firstIndex { $0 > instant } ?? instants.endIndex
        instants.insert(instant, at: position)
        if instants.count > limit { instants.removeFirst(instants.count - limit) }
    }

    /// Replaces one remembered instant (a pessimistic reservation) with the
    /// real one. Nothing happens if `reserved` was already forgotten.
    public mutating func replace(_ reserved: Int64, with actual: Int64) {
        guard let index = instants.lastIndex(of: reserved) else { return }
        instants.remove(at: index)
        record(actual)
    }

    /// The server's side: admits a request arriving at `now` if the window
    /// has room (and remembers it), else returns how long until it would
    /// have (what `Retry-After` says).
    public mutating func admit(at now: Int64) -> AdmitDecision {
        let allowed = instants.count < limit ? now : instants[instants.count - limit] + windowMilliseconds
        guard allowed <= now else { return .rejected(retryAfterMilliseconds: allowed - now) }
        record(now)
        return .admitted
    }

    public enum AdmitDecision: Sendable, Equatable {
        case admitted
        case rejected(retryAfterMilliseconds: Int64)
    }
}
