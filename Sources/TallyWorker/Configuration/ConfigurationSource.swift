import Configuration
import SystemPackage

/// How every tally process reads its configuration: a JSON file under
/// `Config/` overridden by `TALLY_*` environment variables (key `redis.port`
/// is `TALLY_REDIS_PORT`; camelCase splits: `batch.maxSize` is
/// `TALLY_BATCH_MAX_SIZE`), with the checks that name a bad key.
public enum ConfigurationSource {
    /// - Parameters:
    ///   - file: a file named on the command line; it must exist.
    ///   - fileVariable: the environment variable that may name the file instead.
    ///   - defaultPath: used when neither names one; it may be missing.
    public static func reader(
        file: String?, fileVariable: String, defaultPath: String, environment: [String: String]
    ) async throws -> ConfigReader {
        let path = file ?? environment[fileVariable] ?? defaultPath
        return ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "tally"),
            try await FileProvider<JSONSnapshot>(filePath: FilePath(path), allowMissing: file == nil),
        ])
    }
}

/// A configuration value that cannot be used, named by its key.
public struct ConfigurationFailure: Error, CustomStringConvertible {
    public let key: String
    public let problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "configuration key \(key): \(problem)" }
}

extension ConfigReader {
    public func positive(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard value > 0 else { throw ConfigurationFailure(key: key, problem: "must be positive, got \(value)") }
        return value
    }

    public func nonNegative(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard value >= 0 else { throw ConfigurationFailure(key: key, problem: "must not be negative, got \(value)") }
        return value
    }

    public func port(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard (1...65_535).contains(value) else { throw ConfigurationFailure(key: key, problem: "not a TCP port: \(value)") }
        return value
    }
}
