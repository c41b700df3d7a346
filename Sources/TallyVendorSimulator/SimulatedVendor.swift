import Synchronization
import TallyAdapters
import TallyCore

/// The simulated vendor's state: the transactions (in the stable order the
/// API pages through), the rate limit it enforces, the faults queued by a
/// test, and what it counted. Thread-safe (one lock), shared by the routes.
final class SimulatedVendor: Sendable {
    struct Stats: Sendable {
        var requests = 0
        var admitted = 0
        /// Requests that arrived with the window already full: a poller that
        /// honours the limit leaves this at 0.
        var violations = 0
        var faultsInjected = 0
        var pagesServed = 0
        var transactionsServed = 0
        var firstRequestMs: Int64?
        var lastRequestMs: Int64?
        /// The most requests (admitted or not) seen in any one window.
        var maxInWindow = 0
    }

    /// A failure a test asked for, applied to the next admitted requests.
    enum Fault: Sendable, Equatable {
        /// Answer with this status (a 429 carries `retryAfter` as its header).
        case status(Int, retryAfter: String?)
        /// Wait this long before answering normally (a client timeout).
        case delay(milliseconds: Int64)
    }

    enum Answer: Sendable, Equatable {
        /// A page, answered after `delayMilliseconds` (a delay fault) or at once.
        case page(body: String, delayMilliseconds: Int64)
        case rateLimited(retryAfterSeconds: Int64)
        case fault(Fault)
        case badRequest(String)
    }

    private struct State {
        var transactions: [String] = []
        var window: SlidingWindowRateLimiter
        var arrivals: [Int64] = []
        var faults: [Fault] = []
        var stats = Stats()
    }

    let limit: Int
    let windowMilliseconds: Int64
    private let state: Mutex<State>

    init(limit: Int, windowMilliseconds: Int64) {
        self.limit = limit
        self.windowMilliseconds = windowMilliseconds
        state = Mutex(State(window: SlidingWindowRateLimiter(limit: limit, windowMilliseconds: windowMilliseconds)))
    }

    /// Appends transactions (each a JSON object, kept exactly as given, so
    /// a test can also serve malformed ones); returns the new total.
    func append(_ items: [JSONValue]) -> Int {
        let rendered = items.map(\.rendered)
        return state.withLock { state in
            state.transactions.append(contentsOf: rendered)
            return state.transactions.count
        }
    }

    func inject(_ fault: Fault, count: Int) {
        state.withLock { state in state.faults.append(contentsOf: Array(repeating: fault, count: count)) }
    }

    var stats: Stats { state.withLock { $0.stats } }
    var count: Int { state.withLock { $0.transactions.count } }

    /// `GET /transactions?limit=&after=` arriving at `now` (epoch ms).
    func transactions(limit requested: String?, after: String?, now: Int64) -> Answer {
        state.withLock { state in
            state.stats.requests += 1
            state.stats.firstRequestMs = state.stats.firstRequestMs ?? now
            state.stats.lastRequestMs = now
            state.arrivals.append(now)
            let recent = state.arrivals.reduce(0) { $0 + ($1 > now - windowMilliseconds ? 1 : 0) }
            state.stats.maxInWindow = max(state.stats.maxInWindow, recent)
            if state.arrivals.count > 4 * limit { state.arrivals.removeFirst(state.arrivals.count - 4 * limit) }

            if case .rejected(let wait) = state.window.admit(at: now) {
                state.stats.violations += 1
                return .rateLimited(retryAfterSeconds: (wait + 999) / 1_000)
            }
            state.stats.admitted += 1
            var delay: Int64 = 0
            if !state.faults.isEmpty {
                let fault = state.faults.removeFirst()
                state.stats.faultsInjected += 1
                switch fault {
                case .status: return .fault(fault)
                case .delay(let milliseconds): delay = milliseconds
                }
            }
            let pageSize: Int
            if let requested {
                guard let value = Int(requested), (1...1_000).contains(value) else {
                    return .badRequest("limit must be an integer 1…1000, got \(requested)")
                }
                pageSize = value
            } else {
                pageSize = 1_000
            }
            let start: Int
            if let after {
                guard let position = Int(after), (0...state.transactions.count).contains(position) else {
                    return .badRequest("after is not a cursor of this API: \(after)")
                }
                start = position
            } else {
                start = 0
            }
            let end = min(start + pageSize, state.transactions.count)
            state.stats.pagesServed += 1
            state.stats.transactionsServed += end - start
            var body = "{\"transactions\":["
            body += state.transactions[start..<end].joined(separator: ",")
            body += "],\"nextCursor\":\"\(end)\",\"hasMore\":\(end < state.transactions.count)}"
            return .page(body: body, delayMilliseconds: delay)
        }
    }

    var statsJSON: String {
        let (stats, total) = state.withLock { ($0.stats, $0.transactions.count) }
        func optional(_ value: Int64?) -> String { value.map(String.init) ?? "null" }
        return """
            {"requests":\(stats.requests),"admitted":\(stats.admitted),"violations":\(stats.violations),\
            "faultsInjected":\(stats.faultsInjected),"pagesServed":\(stats.pagesServed),\
            "transactionsServed":\(stats.transactionsServed),"transactions":\(total),\
            "limit":\(limit),"windowMs":\(windowMilliseconds),"maxInWindow":\(stats.maxInWindow),\
            "firstRequestMs":\(optional(stats.firstRequestMs)),"lastRequestMs":\(optional(stats.lastRequestMs))}
            """
    }
}
