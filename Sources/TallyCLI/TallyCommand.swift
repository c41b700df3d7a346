import ArgumentParser
import TallyCore
import Foundation
import TallyAggregator
import TallyRuntime
import TallyWorker

/// `tally`: the operator's command line. Each subcommand only parses its
/// options and calls into TallyWorker.
@main
struct TallyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Operate a tally fleet: topology, publishing, dead letters, summaries.",
        discussion: """
            Connection settings are the worker's: Config/worker.json, overridden by TALLY_* variables, \
            overridden by a flag per key placed anywhere (amqp.url -> --amqp-url amqps://…, \
            redis.port -> --redis-port 6380). `tally config print` lists every key.
            """,
        version: BuildInfo.version,
        subcommands: [
            Declare.self, Publish.self, Dead.self, SummaryCommand.self, Tap.self, Drain.self, ConfigCommand.self,
            Report.self, Mail.self, Generate.self,
            Poll.self, StoreCommand.self,
            ImportCommand.self,
        ])
}

extension TallyCommand {
    /// Configuration flags (`--amqp-url …`) are taken out before
    /// ArgumentParser parses the rest, wherever they stand.
    static func main() async {
        await main(configurationArguments.remaining)
    }

    /// The keys of both processes: `tally config print --aggregator` takes
    /// the aggregator's, every other command the worker's.
    static var configurationArguments: ConfigurationArguments {
        ConfigurationArguments(
            splitting: Array(CommandLine.arguments.dropFirst()),
            keys: WorkerConfiguration.keys + AggregatorConfiguration.keys)
    }
}

/// Options every subcommand shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON); default Config/worker.json if present.")
    var config: String?

    func loadStrictly() async throws -> (settings: WorkerConfiguration, origins: ConfigurationProvenance) {
        try await WorkerConfiguration.loadWithOrigins(
            file: config, environment: ProcessInfo.processInfo.environment,
            arguments: TallyCommand.configurationArguments.overrides)
    }

    func load() async throws -> WorkerConfiguration {
        do {
            return try await loadStrictly().settings
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }
}

/// Writes progress to standard error so standard output stays data.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
