import ArgumentParser
import Foundation
import Logging
import TallyAdapterServices
import TallyAggregatorClient
import TallyRuntime

/// `tally import watch DIR`: the watch folder for transactions files.
/// Options only; the watcher is `ImportWatcher`.
struct ImportWatch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Import every transactions file dropped into a folder once, then move it to done/ or failed/.",
        discussion: """
            Lists DIR every --poll-ms and takes a file once two listings saw it with the same size and \
            modification time; names starting with . or ending in .part, .tmp, .partial or ~ are never taken \
            (write under such a name, then rename). Each file is imported as `tally import transactions` does, \
            once by content (SHA-256 claimed in Redis), then moved to DIR/done/, or to DIR/failed/ with \
            <name>.reason (and <name>.rejects.csv) when it cannot be read or rows were rejected. Content \
            imported before goes to done/ with <name>.note and publishes nothing. Broker or Redis failures \
            leave the file in place for the next poll. After each imported file, the reports of the accounts \
            it touched are published as `tally report accounts` does, once the aggregator's report of each \
            covers the transactions it had before plus the file's rows (--no-reports: none, no aggregator \
            needed). SIGINT/SIGTERM stop after the file in hand.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The folder to watch (done/ and failed/ are made in it).")
    var directory: String

    @Option(help: "Milliseconds between two listings of the folder.")
    var pollMs = 1_000

    @Option(help: "Currency of rows without a currency column.")
    var currency = "USD"

    @Option(help: "Publishes awaiting their confirm at most.")
    var window = 1_000

    @OptionGroup var reportTrigger: ReportTriggerOptions

    @OptionGroup var service: ServiceOptions

    func validate() throws {
        guard pollMs > 0 else { throw ValidationError("--poll-ms must be positive") }
        guard window > 0 else { throw ValidationError("--window must be positive") }
    }

    /// Where the reports come from, or why the watcher cannot start: with
    /// reports on, an aggregator must be named (no silent default that
    /// would fail after every file in a container).
    private func reportSettings() throws -> ImportWatcherConfiguration.Reports? {
        guard reportTrigger.reports else { return nil }
        guard reportTrigger.address != nil else {
            throw ValidationError(
                "the reports after each file need the aggregator: --aggregator URL or TALLY_AGGREGATOR_URL (or --no-reports to import without them)")
        }
        return try reportTrigger.settings()
    }

    func run() async throws {
        let stop = StopSignal()
        TerminationSignals.install(stop: stop)
        let logger = try service.logger(label: "tally.import.watch")
        let worker = try await connection.load()
        var settings = ImportWatcherConfiguration(directory: directory, connections: worker.adapterConnections)
        settings.pollMilliseconds = pollMs
        settings.currency = currency
        settings.window = window
        settings.reports = try reportSettings()
        let watcher: ImportWatcher
        do {
            watcher = try ImportWatcher(configuration: settings, logger: logger, stop: stop)
        } catch {
            throw ValidationError(error.description)
        }
        // The watcher blocks (file reads, rabbitmq-c, hiredis).
        nonisolated(unsafe) let confined = watcher
        let metrics = watcher.metrics
        try await BlockingCommandService.run(
            threadName: "tally-import-watch", listen: service.listener, stop: stop,
            logger: logger, shutdownMessage: "graceful shutdown: finishing the file in hand",
            readiness: { (metrics.isReady, metrics.readinessJSON()) }, metrics: { metrics.render() }
        ) { confined.run() }
    }
}
