import ArgumentParser
import Foundation
import TallyWorker

/// `tally`: the operator's command line. Each subcommand only parses its
/// options and calls into TallyWorker.
@main
struct TallyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tally",
        abstract: "Operate a tally fleet: topology, publishing, dead letters, summaries.",
        discussion: "Connection settings are the worker's: Config/worker.json overridden by TALLY_* variables.",
        subcommands: [
            Declare.self, Publish.self, Dead.self, SummaryCommand.self, Tap.self, Drain.self, ConfigCommand.self,
        ])
}

/// Options every subcommand shares.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON); default Config/worker.json if present.")
    var config: String?

    func loadStrictly() async throws -> WorkerConfiguration {
        try await ConfigurationLoader.worker(file: config, environment: ProcessInfo.processInfo.environment)
    }

    func load() async throws -> WorkerConfiguration {
        do {
            return try await ConfigurationLoader.worker(file: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError("invalid configuration: \(error)")
        }
    }
}

/// Writes progress to standard error so standard output stays data.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
