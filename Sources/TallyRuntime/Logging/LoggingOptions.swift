import ArgumentParser
import Foundation
import Logging

/// `--log-level` and `--log-format`, the same on every long-running process
/// (`@OptionGroup var logging: LoggingOptions`), and the one place swift-log
/// is bootstrapped.
public struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical (default: TALLY_LOG_LEVEL, else info).")
    public var logLevel: Logger.Level?

    @Option(name: .long, help: "Log format: text or json (default: TALLY_LOG_FORMAT, else text).")
    public var logFormat: LogFormat?

    public init() {}

    /// Bootstraps swift-log for this process (once, before anything logs)
    /// and returns the process's logger, carrying its pid so that the lines
    /// of several replicas can be told apart.
    /// - Throws: ``LoggingSetupError`` when `TALLY_LOG_FORMAT` or
    ///   `TALLY_LOG_LEVEL` names no format or level: a misspelt level would
    ///   otherwise hide the very lines someone asked for.
    public func bootstrap(label: String, environment: [String: String]) throws(LoggingSetupError) -> Logger {
        let format: LogFormat
        if let logFormat {
            format = logFormat
        } else if let named = environment[LoggingSetupError.formatVariable] {
            guard let parsed = LogFormat(rawValue: named) else {
                throw LoggingSetupError(variable: LoggingSetupError.formatVariable, value: named, allowed: LogFormat.allCases.map(\.rawValue))
            }
            format = parsed
        } else {
            format = .text
        }
        let level: Logger.Level
        if let logLevel {
            level = logLevel
        } else if let named = environment[LoggingSetupError.levelVariable] {
            guard let parsed = Logger.Level(rawValue: named) else {
                throw LoggingSetupError(variable: LoggingSetupError.levelVariable, value: named, allowed: Logger.Level.allCases.map(\.rawValue))
            }
            level = parsed
        } else {
            level = .info
        }
        format.bootstrap(level: level)
        var logger = Logger(label: label)
        logger[metadataKey: "pid"] = "\(ProcessInfo.processInfo.processIdentifier)"
        return logger
    }
}

/// `TALLY_LOG_FORMAT` or `TALLY_LOG_LEVEL` holds something else than one of
/// its values.
public struct LoggingSetupError: Error, CustomStringConvertible {
    public static let formatVariable = "TALLY_LOG_FORMAT"
    public static let levelVariable = "TALLY_LOG_LEVEL"
    public let variable: String
    public let value: String
    public let allowed: [String]
    public var description: String { "\(variable) must be one of \(allowed.joined(separator: ", ")), not \"\(value)\"" }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
