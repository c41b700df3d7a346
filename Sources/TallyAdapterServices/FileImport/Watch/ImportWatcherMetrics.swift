import Prometheus
import Synchronization

/// What the import watcher tells its `/metrics` and `/ready`: files
/// imported, failed and skipped as duplicates, rows published and rejected,
/// and passing failures (broker, Redis, the folder). Written by the
/// watcher's thread, read by the HTTP listener.
public final class ImportWatcherMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let imported: Counter
    let failedFiles: Counter
    let duplicates: Counter
    let rowsPublished: Counter
    let rowsRejected: Counter
    let reportsPublished: Counter
    let reportsFailed: Counter
    private let failures: Counter
    private let readyGauge: Gauge

    private let failuresInARow = Atomic<Int>(0)
    private let listed = Atomic<Bool>(false)
    private let folderFailing = Atomic<Bool>(false)

    public init() {
        func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
        }
        imported = registry.makeCounter(descriptor: named("tally_import_watch_files_imported", "total", "Files imported whole and moved to done/."))
        failedFiles = registry.makeCounter(
            descriptor: named("tally_import_watch_files_failed", "total", "Files moved to failed/ (unreadable, or with rows rejected or refused)."))
        duplicates = registry.makeCounter(
            descriptor: named("tally_import_watch_files_duplicate", "total", "Files whose content was imported before: moved to done/ with a note, nothing published."))
        rowsPublished = registry.makeCounter(descriptor: named("tally_import_watch_rows_published", "total", "Rows published and confirmed by the broker."))
        rowsRejected = registry.makeCounter(descriptor: named("tally_import_watch_rows_rejected", "total", "Rows rejected for their content or refused by the broker."))
        reportsPublished = registry.makeCounter(
            descriptor: named("tally_import_watch_reports_published", "total", "Account reports published after an imported file's rows were indexed."))
        reportsFailed = registry.makeCounter(
            descriptor: named("tally_import_watch_reports_failed", "total", "Imported files whose accounts' reports could not be published (aggregator, timeout, broker)."))
        failures = registry.makeCounter(
            descriptor: named("tally_import_watch_failures", "total", "Passing failures (broker, Redis, the folder): the file stays and is tried again."))
        readyGauge = registry.makeGauge(descriptor: named("tally_import_watch", "ready", "1 while the folder is listed and nothing failed since."))
    }

    func listedFolder() {
        listed.store(true, ordering: .relaxed)
        folderFailing.store(false, ordering: .relaxed)
    }

    func folderFailed() {
        failures.increment()
        folderFailing.store(true, ordering: .relaxed)
    }

    /// A file taken (imported, filed, or skipped): its passing failures are over.
    func succeeded() {
        failuresInARow.store(0, ordering: .relaxed)
    }

    /// A file left in place for a passing failure (broker, Redis).
    func failed() {
        failures.increment()
        failuresInARow.add(1, ordering: .relaxed)
    }

    /// Ready once the folder was listed, while the last listing succeeded,
    /// and while no file has failed for a passing reason since one was last
    /// taken (a listing alone says nothing of the broker or Redis).
    public var isReady: Bool {
        listed.load(ordering: .relaxed) && !folderFailing.load(ordering: .relaxed) && failuresInARow.load(ordering: .relaxed) == 0
    }

    /// The JSON body of `/ready`.
    public func readinessJSON() -> String {
        "{\"ready\":\(isReady),\"folderListed\":\(!folderFailing.load(ordering: .relaxed)),\"failuresInARow\":\(failuresInARow.load(ordering: .relaxed))}"
    }

    /// The text exposition format, the ready gauge set at the scrape.
    public func render() -> [UInt8] {
        readyGauge.set(to: isReady ? 1 : 0)
        return registry.emitToBuffer()
    }
}
