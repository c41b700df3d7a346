import ArgumentParser
import TallyCore
import ServiceLifecycle
import TallyAggregator
import TallyRuntime

/// `tally-aggregator`: tails the log into its index and serves the query
/// API. Wiring only; everything lives in TallyAggregator.
@main
struct TallyAggregatorCommand: ConfiguredProcess {
    static let configuration = CommandConfiguration(
        commandName: "tally-aggregator",
        abstract: "Index the tally log stream into SQLite and answer queries over HTTP.",
        discussion: """
            Settings come from Config/aggregator.json (or --config / TALLY_AGGREGATOR_CONFIG_FILE), \
            overridden by TALLY_* environment variables (http.port -> TALLY_HTTP_PORT), \
            overridden by a flag per key (http.port -> --http-port 8081, or --http-port=8081). \
            Every key and its default: Config/README.md; \
            `tally config print --aggregator` shows the effective values and where each came from. \
            SIGTERM or SIGINT: stop serving, commit and ack the ingest batch in flight, exit 0.
            """,
        version: BuildInfo.version)

    typealias Settings = AggregatorConfiguration

    @OptionGroup var options: ProcessOptions

    func run() async throws {
        let (logger, settings) = try await start(label: "tally.aggregator")
        let services = try AggregatorApplication.services(configuration: settings, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}
