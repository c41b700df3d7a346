import ArgumentParser
import Foundation
import Logging

/// The start of every long-running process, in one place: bootstrap the
/// log, then load the configuration; either failing ends the process with
/// `EX_CONFIG` (78) and a message that names what is wrong.
public enum ProcessStart {
    public static func load<Settings: LoadableConfiguration>(
        _ type: Settings.Type, label: String, logging: LoggingOptions, file: String?,
        environment: [String: String], arguments: [String]
    ) async throws -> (Logger, Settings) {
        let logger: Logger
        do {
            logger = try logging.bootstrap(label: label, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("invalid configuration: \(error)\n".utf8))
            throw ExitCode(78)  // EX_CONFIG
        }
        do {
            let settings = try await Settings.load(file: file, environment: environment, arguments: arguments)
            return (logger, settings)
        } catch {
            logger.critical("invalid configuration: \(error)")
            throw ExitCode(78)  // EX_CONFIG
        }
    }
}
