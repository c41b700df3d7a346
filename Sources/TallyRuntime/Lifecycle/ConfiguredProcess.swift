import ArgumentParser
import Foundation
import Logging

/// A long-running process whose every configuration key is also a flag
/// (`batch.maxSize` is `--batch-max-size 50`): the worker, the aggregator.
///
/// The flags are taken out of the command line before ArgumentParser sees
/// the rest (``ConfigurationArguments``), so that a misspelt option still
/// gets ArgumentParser's "unknown option" error; ``start(label:)`` reads
/// them again the same way.
public protocol ConfiguredProcess: AsyncParsableCommand {
    associatedtype Settings: LoadableConfiguration
    var options: ProcessOptions { get }
}

extension ConfiguredProcess {
    public static func main() async {
        await main(configurationArguments.remaining)
    }

    public static var configurationArguments: ConfigurationArguments {
        ConfigurationArguments(splitting: Array(CommandLine.arguments.dropFirst()), keys: Settings.keys)
    }

    /// Bootstraps the log, then loads the configuration; either failing
    /// ends the process with `EX_CONFIG` (78) and a message that names what
    /// is wrong.
    public func start(label: String) async throws -> (Logger, Settings) {
        let environment = ProcessInfo.processInfo.environment
        let logger: Logger
        do {
            logger = try options.logging.bootstrap(label: label, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("invalid configuration: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        do {
            let settings = try await Settings.load(
                file: options.config, environment: environment, arguments: Self.configurationArguments.overrides)
            return (logger, settings)
        } catch {
            logger.critical("invalid configuration: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}

/// The options every configured process has besides its keys' flags.
public struct ProcessOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON).")
    public var config: String?

    @OptionGroup public var logging: LoggingOptions

    public init() {}
}
