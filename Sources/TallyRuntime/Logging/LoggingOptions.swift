import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `--log-format`, the same on every long-running process
/// (`@OptionGroup var logging: LoggingOptions`), and the one place swift-log
/// is bootstrapped.
public struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    public var logLevel: Logger.Level = .info

    @Option(name: .long, help: "Log format: text or json (default: TALLY_LOG_FORMAT, else text).")
    public var logFormat: LogFormat?

    public init() {}

    /// Bootstraps swift-log for this process (once, before anything logs)
    /// and returns the process's logger, carrying its pid so that the lines
    /// of several replicas can be told apart.
    /// - Throws: ``LoggingSetupError`` when `TALLY_LOG_FORMAT` names no format.
    public func bootstrap(label: String, environment: [String: String]) throws(LoggingSetupError) -> Logger {
        let format: LogFormat
        if let logFormat {
            format = logFormat
        } else if let named = environment["TALLY_LOG_FORMAT"] {
            guard let parsed = LogFormat(rawValue: named) else { throw LoggingSetupError(value: named) }
            format = parsed
        } else {
            format = .text
        }
        format.bootstrap(level: logLevel)
        var logger = Logger(label: label)
        logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"
        return logger
    }
}

/// `TALLY_LOG_FORMAT` holds something other than `text` or `json`.
public struct LoggingSetupError: Error, CustomStringConvertible {
    public let value: String
    public var description: String { "TALLY_LOG_FORMAT must be text or json, not \"\(value)\"" }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
