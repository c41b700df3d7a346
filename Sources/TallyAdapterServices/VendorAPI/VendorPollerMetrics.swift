import Foundation
import Prometheus
import Synchronization

/// What the vendor poller tells its `/metrics` and `/ready`: requests,
/// pages, items, failures, the time it waited for the vendor's rate limit,
/// and how long it has been behind the vendor. Written by the poller's
/// thread, read by the HTTP listener.
public final class VendorPollerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let requests: Counter
    let pages: Counter
    let published: Counter
    let rejected: Counter
    let failures: Counter
    let rateLimited: Counter
    let pacingWait: Counter
    private let behind: Gauge
    private let readyGauge: Gauge

    private let failuresInARow = Atomic<Int>(0)
    private let answered = Atomic<Bool>(false)
    /// Epoch milliseconds when the poller was last caught up (or started).
    private let caughtUpAt = Atomic<Int64>(0)
    private let isCaughtUp = Atomic<Bool>(false)

    public init(startedAt: Int64) {
        func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
        }
        requests = registry.makeCounter(descriptor: named("tally_vendor_poller_requests", "total", "Requests sent to the vendor."))
        pages = registry.makeCounter(descriptor: named("tally_vendor_poller_pages", "total", "Pages taken: published and their cursor stored."))
        published = registry.makeCounter(descriptor: named("tally_vendor_poller_items_published", "total", "Vendor transactions published as records."))
        rejected = registry.makeCounter(descriptor: named("tally_vendor_poller_items_rejected", "total", "Vendor transactions dead-lettered (invalid)."))
        failures = registry.makeCounter(descriptor: named("tally_vendor_poller_failures", "total", "Rounds that failed (vendor, broker or Redis)."))
        rateLimited = registry.makeCounter(descriptor: named("tally_vendor_poller_rate_limited", "total", "Answers 429 from the vendor."))
        pacingWait = registry.makeCounter(
            descriptor: named("tally_vendor_poller_rate_limit_wait_seconds", "total", "Time spent waiting for the vendor's rate limit."))
        behind = registry.makeGauge(
            descriptor: named("tally_vendor_poller_behind", "seconds", "Time since the poller was last caught up with the vendor (0 while caught up)."))
        readyGauge = registry.makeGauge(descriptor: named("tally_vendor_poller", "ready", "1 while the last round succeeded."))
        caughtUpAt.store(startedAt, ordering: .relaxed)
    }

    /// A round that ended with a page; `caughtUp` when the vendor had no more.
    func succeeded(caughtUp: Bool, at now: Int64) {
        failuresInARow.store(0, ordering: .relaxed)
        answered.store(true, ordering: .relaxed)
        isCaughtUp.store(caughtUp, ordering: .relaxed)
        if caughtUp { caughtUpAt.store(now, ordering: .relaxed) }
    }

    func failed() {
        failures.increment()
        failuresInARow.add(1, ordering: .relaxed)
    }

    func waitedForRateLimit(milliseconds: Int64) {
        guard milliseconds > 0 else { return }
        pacingWait.increment(by: Double(milliseconds) / 1_000)
    }

    /// Ready once a round succeeded and while none has failed since.
    public var isReady: Bool { answered.load(ordering: .relaxed) && failuresInARow.load(ordering: .relaxed) == 0 }

    /// The JSON body of `/ready`.
    public func readinessJSON() -> String {
        "{\"ready\":\(isReady),\"failuresInARow\":\(failuresInARow.load(ordering: .relaxed)),\"caughtUp\":\(isCaughtUp.load(ordering: .relaxed))}"
    }

    /// Seconds behind the vendor at `now` (epoch milliseconds).
    public func behindSeconds(at now: Int64) -> Int64 {
        isCaughtUp.load(ordering: .relaxed) ? 0 : max(0, now - caughtUpAt.load(ordering: .relaxed)) / 1_000
    }

    /// The text exposition format, the gauges set at the scrape.
    public func render(at now: Int64) -> [UInt8] {
        behind.set(to: Double(behindSeconds(at: now)))
        readyGauge.set(to: isReady ? 1 : 0)
        return registry.emitToBuffer()
    }
}
