import Configuration
import SystemPackage

/// Fills an ``AggregatorConfiguration`` from `Config/aggregator.json` (or the
/// file in `TALLY_AGGREGATOR_CONFIG_FILE`) overridden by `TALLY_*` environment
/// variables: key `http.port` is `TALLY_HTTP_PORT`, `redis.port` is
/// `TALLY_REDIS_PORT` (shared with the workers on purpose). The one place the
/// aggregator's configuration is read.
public enum AggregatorConfigurationLoader {
    public struct Failure: Error, CustomStringConvertible {
        public let key: String
        public let problem: String
        public var description: String { "configuration key \(key): \(problem)" }
    }

    public static func load(
        file: String? = nil, environment: [String: String]
    ) async throws -> AggregatorConfiguration {
        let path = file ?? environment["TALLY_AGGREGATOR_CONFIG_FILE"] ?? "Config/aggregator.json"
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "tally"),
            try await FileProvider<JSONSnapshot>(filePath: FilePath(path), allowMissing: file == nil),
        ])
        return try load(from: reader)
    }

    static func load(from config: ConfigReader) throws -> AggregatorConfiguration {
        var settings = AggregatorConfiguration()
        let defaults = settings

        settings.http.host = config.string(forKey: "http.host", default: defaults.http.host)
        settings.http.port = try port(config, "http.port", defaults.http.port)

        settings.redis.host = config.string(forKey: "redis.host", default: defaults.redis.host)
        settings.redis.port = try port(config, "redis.port", defaults.redis.port)
        settings.redis.password = config.string(forKey: "redis.password", isSecret: true)
        settings.redis.commandTimeoutMilliseconds = try positive(
            config, "redis.commandTimeoutMs", defaults.redis.commandTimeoutMilliseconds)
        settings.keyPrefix = config.string(forKey: "redis.keyPrefix", default: defaults.keyPrefix)

        settings.index.path = config.string(forKey: "index.path", default: defaults.index.path)
        guard !settings.index.path.isEmpty else { throw Failure(key: "index.path", problem: "must not be empty") }

        settings.stream.group = config.string(forKey: "stream.group", default: defaults.stream.group)
        guard !settings.stream.group.isEmpty else { throw Failure(key: "stream.group", problem: "must not be empty") }
        settings.stream.batchSize = try positive(config, "stream.batchSize", defaults.stream.batchSize)
        settings.stream.blockMilliseconds = try positive(config, "stream.blockMs", defaults.stream.blockMilliseconds)
        guard settings.stream.blockMilliseconds < settings.redis.commandTimeoutMilliseconds else {
            throw Failure(key: "stream.blockMs", problem: "must be below redis.commandTimeoutMs")
        }
        settings.stream.retentionSeconds = try nonNegative(config, "stream.retentionSeconds", defaults.stream.retentionSeconds)
        settings.stream.trimIntervalSeconds = try nonNegative(
            config, "stream.trimIntervalSeconds", defaults.stream.trimIntervalSeconds)
        settings.stream.backoffInitialMilliseconds = try positive(
            config, "stream.backoffInitialMs", defaults.stream.backoffInitialMilliseconds)
        settings.stream.backoffMaximumMilliseconds = try positive(
            config, "stream.backoffMaxMs", defaults.stream.backoffMaximumMilliseconds)

        settings.readiness.maxLagEntries = try nonNegative(
            config, "readiness.maxLagEntries", defaults.readiness.maxLagEntries)
        return settings
    }

    private static func port(_ config: ConfigReader, _ key: String, _ fallback: Int) throws -> Int {
        let value = config.int(forKey: ConfigKey(key), default: fallback)
        guard (1...65_535).contains(value) else { throw Failure(key: key, problem: "not a TCP port: \(value)") }
        return value
    }

    private static func positive(_ config: ConfigReader, _ key: String, _ fallback: Int) throws -> Int {
        let value = config.int(forKey: ConfigKey(key), default: fallback)
        guard value > 0 else { throw Failure(key: key, problem: "must be positive, got \(value)") }
        return value
    }

    private static func nonNegative(_ config: ConfigReader, _ key: String, _ fallback: Int) throws -> Int {
        let value = config.int(forKey: ConfigKey(key), default: fallback)
        guard value >= 0 else { throw Failure(key: key, problem: "must not be negative, got \(value)") }
        return value
    }
}
