import ArgumentParser
import Foundation
import Hummingbird
import TallyAggregator
import TallyRuntime

/// `tally-aggregator`: tails the log into its index and serves the query
/// API. Wiring only; everything lives in TallyAggregator.
@main
struct TallyAggregatorCommand: AsyncParsableCommand {
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
            """)

    @Option(name: .long, help: "Configuration file (JSON).")
    var config: String?

    @OptionGroup var logging: LoggingOptions

    /// Configuration flags (`--http-port 8081`) are taken out before
    /// ArgumentParser parses the rest; `run` reads them again the same way.
    static func main() async {
        await main(configurationArguments.remaining)
    }

    static var configurationArguments: ConfigurationArguments {
        ConfigurationArguments(splitting: Array(CommandLine.arguments.dropFirst()), keys: AggregatorConfiguration.keys)
    }

    func run() async throws {
        let (logger, settings) = try await ProcessStart.load(
            AggregatorConfiguration.self, label: "tally.aggregator", logging: logging, file: config,
            environment: ProcessInfo.processInfo.environment, arguments: Self.configurationArguments.overrides)
        let app = try AggregatorApplication.make(configuration: settings, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
