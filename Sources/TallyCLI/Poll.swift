import ArgumentParser
import Foundation
import Logging
import TallyAdapterServices
import TallyCore
import TallyRuntime
import TallyWorker

/// `tally poll …`: long-running pollers of source APIs.
struct Poll: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll a source API and publish what it returns as standard records.",
        subcommands: [PollVendor.self])
}

/// `tally poll vendor --url …`: the rate-limited vendor transaction API of
/// the user-balance services. Options only; the poller is `VendorPoller`.
struct PollVendor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vendor",
        abstract: "Poll the vendor transaction API under its rate limit; publish each transaction as a record.",
        discussion: """
            Asks GET <url>?limit=<page-size>&after=<cursor> at most --rate-limit times per --rate-window-ms \
            (also across restarts: recent request instants are kept in Redis), publishes every transaction \
            with publisher confirms as recordId vendor:<id>, sourceId vendor, destinationId user:<userId>, \
            reference = the vendor type (earned, spent, payout, paid_out), type positive for earned and \
            negative for the others, value = amount exactly, unit = --unit; transactions that cannot be \
            mapped go to the dead-letter exchange with reason invalid-vendor-transaction. The cursor is \
            stored in Redis (<keyPrefix>:adapter:{<state-name>}:cursor) only after the broker confirmed the \
            page, so a restart resumes there and replays at most one page, harmlessly. 429s honour \
            Retry-After; errors back off exponentially with jitter. SIGINT/SIGTERM stop cleanly; a second \
            signal exits at once.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "The vendor's transactions endpoint, e.g. http://127.0.0.1:8099/transactions.")
    var url: String

    @Option(help: "Unit of every amount (the API sends none).")
    var unit = "USD"

    @Option(help: "Transactions per request, 1…1000.")
    var pageSize = 1_000

    @Option(help: "At most this many requests …")
    var rateLimit = 5

    @Option(help: "… per this many milliseconds (rolling).")
    var rateWindowMs: Int64 = 60_000

    @Option(help: "Added to the window (each slot counts from the send): for delay and clock differences.")
    var rateMarginMs: Int64 = 100

    @Option(help: "Caught up, the next request waits this long after the last send, and at least (window + margin) / limit.")
    var idleMs: Int64 = 12_000

    @Option(help: "A request without an answer by then has failed.")
    var requestTimeoutMs: Int64 = 30_000

    // Not --backoff-initial-ms: that is the configuration key
    // backoff.initialMs (reconnecting to the broker and Redis), and a
    // configuration flag would take it before this command saw it.
    @Option(help: "After a failed vendor request, first wait …")
    var retryInitialMs = 1_000

    @Option(help: "… doubling up to this (with jitter).")
    var retryMaxMs = 60_000

    @Option(help: "Names this poller's cursor and request history in Redis.")
    var stateName = "vendor"

    @Flag(help: "Stop once caught up instead of polling forever.")
    var once = false

    @OptionGroup var service: ServiceOptions

    func run() async throws {
        let stop = StopSignal()
        TerminationSignals.install(stop: stop)
        let logger = try service.logger(label: "tally.poll.vendor")
        guard let endpoint = URL(string: url) else { throw ValidationError("--url is not a URL: \(url)") }
        let worker = try await connection.load()
        var settings = VendorPollerConfiguration(url: endpoint, connections: worker.adapterConnections)
        settings.unit = unit
        settings.pageSize = pageSize
        settings.rateLimit = rateLimit
        settings.rateWindowMilliseconds = rateWindowMs
        settings.rateMarginMilliseconds = rateMarginMs
        settings.idleMilliseconds = idleMs
        settings.requestTimeoutMilliseconds = requestTimeoutMs
        settings.backoff = BackoffPolicy(initialMilliseconds: retryInitialMs, maximumMilliseconds: retryMaxMs)
        settings.stateName = stateName
        settings.stopWhenCaughtUp = once
        let poller: VendorPoller
        do {
            poller = try VendorPoller(configuration: settings, logger: logger, stop: stop)
        } catch {
            throw ValidationError(error.message)
        }
        // The poller blocks (hiredis, rabbitmq-c, HTTP on a semaphore).
        nonisolated(unsafe) let confined = poller
        let metrics = poller.metrics
        try await BlockingCommandService.run(
            threadName: "tally-poll-vendor", listen: service.listener, stop: stop,
            logger: logger, shutdownMessage: "graceful shutdown: finishing the page in hand",
            readiness: { (metrics.isReady, metrics.readinessJSON()) }, metrics: { metrics.render(at: VendorPoller.now()) }
        ) { confined.run() }
    }
}
