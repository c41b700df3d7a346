import ArgumentParser
import Foundation
import Hummingbird
import Logging
import TallyAggregator
import TallyWorker

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

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    @Option(name: .long, help: "Log format: text or json (default: TALLY_LOG_FORMAT, else text).")
    var logFormat: String?

    /// Configuration flags (`--http-port 8081`) are taken out before
    /// ArgumentParser parses the rest; `run` reads them again the same way.
    static func main() async {
        await main(configurationArguments.remaining)
    }

    static var configurationArguments: ConfigurationArguments {
        ConfigurationArguments(splitting: Array(CommandLine.arguments.dropFirst()), keys: AggregatorConfigurationLoader.keys)
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        guard let format = LogFormat(rawValue: logFormat ?? ProcessInfo.processInfo.environment["TALLY_LOG_FORMAT"] ?? "text") else {
            FileHandle.standardError.write(Data("invalid configuration: the log format must be text or json\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        format.bootstrap(level: level)
        var logger = Logger(label: "tally.aggregator")
        logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"

        let settings: AggregatorConfiguration
        do {
            settings = try await AggregatorConfigurationLoader.load(
                file: config, environment: ProcessInfo.processInfo.environment,
                arguments: Self.configurationArguments.overrides)
        } catch {
            logger.critical("invalid configuration: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
        let app = try AggregatorApplication.make(configuration: settings, logger: logger)
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }
}
