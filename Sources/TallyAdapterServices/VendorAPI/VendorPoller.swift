import Foundation
import Logging
import TallyAdapters
import TallyCore
import TallyRuntime

/// `tally poll vendor`: a long-running, blocking poller of the vendor's
/// transaction API. Run it on a thread of its own.
///
/// Each round:
/// 1. wait until the pacer (a sliding window of send instants, restored
///    from Redis) allows a request, and until any backoff is over: at once
///    while behind, the even spacing after the last send once caught up
///    (see ``VendorRequestPacer``);
/// 2. remember the send instant (in Redis too, before sending), send
///    `GET <url>?limit=<pageSize>&after=<cursor>`;
/// 3. a page: map every transaction, publish the records and the refused
///    transactions with confirms, and only then store the page's
///    `nextCursor`; 429: wait at least `Retry-After`; 5xx, timeouts and
///    malformed pages: exponential backoff with jitter. Broker or Redis
///    failures back off the same way and reconnect.
///
/// A stop request (SIGINT/SIGTERM) is honoured between steps: a page whose
/// confirms are in is finished (cursor stored), anything earlier is simply
/// fetched again by the next run.
public final class VendorPoller {
    private let configuration: VendorPollerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let store: VendorPollStore
    private let publisher: VendorPagePublisher
    private let mapping: VendorTransactionMapping
    private let schedule: RetrySchedule
    private var pacer: VendorRequestPacer

    public private(set) var statistics = Statistics()
    /// What `/metrics` and `/ready` show while it runs (`tally poll vendor --listen-port`).
    public let metrics: VendorPollerMetrics

    public struct Statistics: Sendable, Equatable {
        public var requests = 0
        public var pages = 0
        public var published = 0
        public var rejected = 0
        public var failures = 0
        public var rateLimited = 0
    }

    public init(configuration: VendorPollerConfiguration, logger: Logger, stop: StopSignal) throws(VendorPollerError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        store = VendorPollStore(
            endpoint: configuration.connections.redis, keyPrefix: configuration.connections.keyPrefix, name: configuration.stateName)
        publisher = VendorPagePublisher(configuration: configuration)
        mapping = VendorTransactionMapping(unit: configuration.unit, namespace: configuration.namespace, limits: configuration.connections.limits)
        schedule = RetrySchedule(backoff: configuration.backoff)
        pacer = configuration.pacer
        metrics = VendorPollerMetrics(startedAt: Self.now())
    }

    /// Polls until stopped (or caught up, with `stopWhenCaughtUp`).
    public func run() {
        var failures = 0
        var notBefore: Int64 = 0
        var cursor: String?
        var restored = false
        var caughtUp = false
        logger.info("polling \(configuration.url.absoluteString): at most \(configuration.rateLimit) requests per \(configuration.rateWindowMilliseconds) ms, \(configuration.pageSize) per page, state \(store.cursorKey)")
        while !stop.isRequested {
            if !restored {
                do {
                    cursor = try store.cursor()
                    for instant in try store.requestInstants() { pacer.sent(at: instant) }
                    restored = true
                    logger.info("\(cursor.map { "resuming after cursor \($0)" } ?? "no stored cursor: starting at the vendor's first transaction")")
                } catch {
                    failures += 1
                    metrics.failed()
                    notBefore = backOff(failures, after: error)
                    guard wait(until: notBefore) else { break }
                    continue
                }
            }
            let nextSend = pacer.nextSend(at: Self.now(), caughtUp: caughtUp)
            metrics.waitedForRateLimit(milliseconds: nextSend - max(Self.now(), notBefore))
            guard wait(until: max(notBefore, nextSend)) else { break }
            do {
                let page = try fetch(after: cursor)
                guard let page else {
                    // 429: the vendor says wait; that is a failure for the backoff too.
                    failures += 1
                    metrics.failed()
                    notBefore = Self.now() + schedule.delayMilliseconds(
                        afterFailures: failures, retryAfterMilliseconds: lastRetryAfter, unitRandom: .random(in: 0..<1))
                    continue
                }
                try take(page)
                cursor = page.nextCursor
                failures = 0
                notBefore = 0
                caughtUp = !page.hasMore
                metrics.succeeded(caughtUp: caughtUp, at: Self.now())
                if caughtUp, configuration.stopWhenCaughtUp {
                    logger.info("caught up: stopping (--once)")
                    break
                }
            } catch {
                failures += 1
                statistics.failures += 1
                metrics.failed()
                notBefore = backOff(failures, after: error)
            }
        }
        publisher.reset()
        logger.info("stopped: \(statistics.requests) requests, \(statistics.pages) pages, \(statistics.published) records published, \(statistics.rejected) transactions dead-lettered, \(statistics.failures) failures, \(statistics.rateLimited) answered 429; cursor \(cursor ?? "(none)")")
    }

    private var lastRetryAfter: Int64?

    /// One request under the rate limit. Nil for a 429 (``lastRetryAfter``
    /// holds its Retry-After); a page; or an error for anything else.
    private func fetch(after cursor: String?) throws(VendorPollerError) -> VendorPage? {
        // The slot starts at the send (the vendor counts arrivals, which
        // follow it). Stored before sending, so a restarted poller counts
        // it; then moved to the instant the request really leaves.
        let recorded = Self.now()
        pacer.sent(at: recorded)
        try persistInstants()
        let sending = Self.now()
        pacer.resent(recorded, at: sending)
        statistics.requests += 1
        metrics.requests.increment()
        let answer: HTTPFetch.Answer
        do {
            answer = try HTTPFetch.fetchBlocking(
                requestURL(after: cursor).absoluteString, headers: [("Accept", "application/json")],
                timeoutMilliseconds: configuration.requestTimeoutMilliseconds)
        } catch {
            if sending != recorded { try? persistInstants() }
            throw VendorPollerError(.vendor, error.description)
        }
        if sending != recorded { try persistInstants() }
        switch answer.status {
        case 200:
            do {
                return try VendorPage.parse(answer.body, maxTransactions: configuration.pageSize)
            } catch {
                throw VendorPollerError(.vendor, "unreadable page: \(error)")
            }
        case 429:
            statistics.rateLimited += 1
            metrics.rateLimited.increment()
            lastRetryAfter = RetrySchedule.retryAfterMilliseconds(answer.header("Retry-After"))
            logger.warning("vendor answered 429 (Retry-After: \(answer.header("Retry-After") ?? "none")): backing off")
            return nil
        default:
            let excerpt = String(decoding: answer.body.prefix(200), as: UTF8.self)
            throw VendorPollerError(.vendor, "vendor answered HTTP \(answer.status): \(excerpt)")
        }
    }

    /// Maps and publishes a page, then stores its cursor: in that order.
    private func take(_ page: VendorPage) throws(VendorPollerError) {
        var records: [VendorRecord] = []
        var rejected: [VendorRejection] = []
        records.reserveCapacity(page.transactions.count)
        for item in page.transactions {
            switch mapping.map(item) {
            case .success(let record): records.append(record)
            case .failure(let rejection):
                logger.warning("refused vendor transaction (dead-lettered): \(rejection)")
                rejected.append(rejection)
            }
        }
        if !records.isEmpty || !rejected.isEmpty {
            try publisher.publish(records, rejected: rejected)
        }
        try store.storeCursor(page.nextCursor)
        statistics.pages += 1
        statistics.published += records.count
        statistics.rejected += rejected.count
        metrics.pages.increment()
        metrics.published.increment(by: Int64(records.count))
        metrics.rejected.increment(by: Int64(rejected.count))
        if !page.transactions.isEmpty || page.hasMore {
            logger.info("page \(statistics.pages): \(records.count) records published, \(rejected.count) dead-lettered; total \(statistics.published); cursor \(page.nextCursor)\(page.hasMore ? "" : " (caught up)")")
        }
    }

    private func requestURL(after cursor: String?) -> URL {
        var components = URLComponents(url: configuration.url, resolvingAgainstBaseURL: false) ?? URLComponents()
        var items = (components.queryItems ?? []).filter { $0.name != "limit" && $0.name != "after" }
        items.append(URLQueryItem(name: "limit", value: String(configuration.pageSize)))
        if let cursor { items.append(URLQueryItem(name: "after", value: cursor)) }
        components.queryItems = items
        // `+` is legal in a query but read as a space by many servers.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        return components.url ?? configuration.url
    }

    private func persistInstants() throws(VendorPollerError) {
        try store.storeRequestInstants(
            pacer.sendInstants,
            keepMilliseconds: configuration.rateWindowMilliseconds + configuration.rateMarginMilliseconds + 5_000)
    }

    private func backOff(_ failures: Int, after error: any Error) -> Int64 {
        let delay = schedule.delayMilliseconds(afterFailures: failures, unitRandom: .random(in: 0..<1))
        logger.warning("\(error); retrying in \(delay) ms (failure \(failures) in a row)")
        if let error = error as? VendorPollerError, error.code == .broker { publisher.reset() }
        if let error = error as? VendorPollerError, error.code == .redis { store.reset() }
        return Self.now() + delay
    }

    /// Sleeps until `instant`; false when a stop was requested.
    private func wait(until instant: Int64) -> Bool {
        stop.sleep(milliseconds: Int(max(0, instant - Self.now())))
    }

    /// Wall-clock epoch milliseconds: the pacer's send instants outlive the
    /// process (they are restored from Redis), so a monotonic clock of one
    /// process would not do.
    public static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1_000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
