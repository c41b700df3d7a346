import ArgumentParser
import Foundation
import TallyAggregator
import TallyRuntime
import TallyWorker

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show the configuration a worker or an aggregator would run with.",
        subcommands: [Print.self])

    struct Print: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective configuration (flags > TALLY_* environment > file > default), secrets masked.",
            discussion: """
                One `key = value` line per key, each with the source of its value after `#`. \
                Exits 78 naming the bad key and its source if the configuration is invalid, as the process would. \
                Flags for keys go anywhere: tally config print --batch-max-size 50.
                """)
        @Option(name: .long, help: "Configuration file (JSON); default Config/worker.json, or Config/aggregator.json with --aggregator.")
        var config: String?
        @Flag(help: "The aggregator's configuration (Config/aggregator.json, TALLY_AGGREGATOR_CONFIG_FILE) instead of the worker's.")
        var aggregator = false
        @Flag(help: "Only `key = value`, without the sources.")
        var plain = false

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let overrides = TallyCommand.configurationArguments.overrides
            do {
                let effective: EffectiveConfiguration
                let origins: ConfigurationProvenance
                if aggregator {
                    let loaded = try await AggregatorConfiguration.loadWithOrigins(
                        file: config, environment: environment, arguments: overrides)
                    effective = loaded.settings.effective
                    origins = loaded.origins
                } else {
                    let loaded = try await WorkerConfiguration.loadWithOrigins(
                        file: config, environment: environment, arguments: overrides)
                    effective = loaded.settings.effective
                    origins = loaded.origins
                }
                print(plain ? effective.description : effective.described(origins: origins))
            } catch {
                progress("invalid configuration: \(error)")
                throw ExitCode(78)
            }
        }
    }
}
