import Prometheus
import Synchronization

/// What the mailer tells `/metrics` and `/ready`. Written by the mailer's
/// thread, read by the HTTP listener.
public final class ReportMailerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let received: Counter
    let sent: Counter
    let filesWritten: Counter
    let alreadySent: Counter
    let noRecipient: Counter
    let refused: Counter
    let uncertain: Counter
    let invalid: Counter
    let failures: Counter
    private let readyGauge: Gauge

    private let failuresInARow = Atomic<Int>(0)
    private let connected = Atomic<Bool>(false)

    public init() {
        func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
        }
        received = registry.makeCounter(descriptor: named("tally_mailer_reports_received", "total", "Report messages taken from the queue."))
        sent = registry.makeCounter(descriptor: named("tally_mailer_sent", "total", "Reports the SMTP server accepted (250 to the final dot)."))
        filesWritten = registry.makeCounter(descriptor: named("tally_mailer_files_written", "total", "Reports written as HTML files (--out-dir)."))
        alreadySent = registry.makeCounter(
            descriptor: named("tally_mailer_already_sent", "total", "Report messages whose id was already sent: acknowledged, not sent again."))
        noRecipient = registry.makeCounter(
            descriptor: named("tally_mailer_no_recipient", "total", "Reports of accounts without an address in the recipients file (kept)."))
        refused = registry.makeCounter(descriptor: named("tally_mailer_refused", "total", "Reports the SMTP server refused for good (5xx; kept)."))
        uncertain = registry.makeCounter(
            descriptor: named("tally_mailer_uncertain", "total", "Reports whose acceptance is unknown after a crash or a lost connection at the final dot (kept)."))
        invalid = registry.makeCounter(descriptor: named("tally_mailer_invalid", "total", "Messages that are not account reports (kept)."))
        failures = registry.makeCounter(descriptor: named("tally_mailer_failures", "total", "Attempts that failed and will be retried (SMTP, broker, Redis)."))
        readyGauge = registry.makeGauge(descriptor: named("tally_mailer", "ready", "1 while connected and the last attempt succeeded."))
    }

    func connectedToServers(_ value: Bool) { connected.store(value, ordering: .relaxed) }

    func succeeded() { failuresInARow.store(0, ordering: .relaxed) }

    func failed() {
        failures.increment()
        failuresInARow.add(1, ordering: .relaxed)
    }

    /// Connected to the broker and Redis, and no failure since the last success.
    public var isReady: Bool { connected.load(ordering: .relaxed) && failuresInARow.load(ordering: .relaxed) == 0 }

    /// The JSON body of `/ready`.
    public func readinessJSON() -> String {
        "{\"ready\":\(isReady),\"connected\":\(connected.load(ordering: .relaxed)),\"failuresInARow\":\(failuresInARow.load(ordering: .relaxed))}"
    }

    public func render() -> [UInt8] {
        readyGauge.set(to: isReady ? 1 : 0)
        return registry.emitToBuffer()
    }
}
