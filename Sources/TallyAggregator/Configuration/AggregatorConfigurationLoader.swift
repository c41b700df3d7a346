import Configuration
import TallyWorker

/// Fills an ``AggregatorConfiguration`` from command-line flags, `TALLY_*`
/// environment variables and `Config/aggregator.json` (or the file in
/// `TALLY_AGGREGATOR_CONFIG_FILE`), in that precedence: key `http.port` is
/// `--http-port` and `TALLY_HTTP_PORT`; `redis.port` is `TALLY_REDIS_PORT`
/// (shared with the workers on purpose). The one place the
/// aggregator's configuration is read.
public enum AggregatorConfigurationLoader {
    public typealias Failure = ConfigurationFailure

    public static func load(
        file: String? = nil, environment: [String: String], arguments: [String] = []
    ) async throws -> AggregatorConfiguration {
        try await loadWithOrigins(file: file, environment: environment, arguments: arguments).settings
    }

    /// The configuration and where each value came from (`tally config print --aggregator`).
    public static func loadWithOrigins(
        file: String? = nil, environment: [String: String], arguments: [String] = []
    ) async throws -> (settings: AggregatorConfiguration, origins: ConfigurationProvenance) {
        let (reader, provenance) = try await ConfigurationSource.reader(
            file: file, fileVariable: "TALLY_AGGREGATOR_CONFIG_FILE", defaultPath: "Config/aggregator.json",
            environment: environment, arguments: arguments)
        return (try ConfigurationSource.load(reader, provenance, load(from:_:)), provenance)
    }

    /// Every key of `Config/aggregator.json`, hence every `--flag` of the aggregator.
    public static let keys: [String] = AggregatorConfiguration().effective.entries.map(\.key)

    static func load(from config: ConfigReader, _ provenance: ConfigurationProvenance) throws -> AggregatorConfiguration {
        var settings = AggregatorConfiguration()
        let defaults = settings

        settings.http.host = config.string(forKey: "http.host", default: defaults.http.host)
        settings.http.port = try config.port("http.port", default: defaults.http.port)

        settings.redis = try ConnectionSettings.redis(config, provenance, defaults: defaults.redis)
        settings.redis.commandTimeoutMilliseconds = try config.positive("redis.commandTimeoutMs", default: defaults.redis.commandTimeoutMilliseconds)
        settings.keyPrefix = config.string(forKey: "redis.keyPrefix", default: defaults.keyPrefix)

        settings.index.path = config.string(forKey: "index.path", default: defaults.index.path)
        guard !settings.index.path.isEmpty else { throw Failure(key: "index.path", problem: "must not be empty") }

        settings.stream.group = config.string(forKey: "stream.group", default: defaults.stream.group)
        guard !settings.stream.group.isEmpty else { throw Failure(key: "stream.group", problem: "must not be empty") }
        settings.stream.batchSize = try config.positive("stream.batchSize", default: defaults.stream.batchSize)
        settings.stream.blockMilliseconds = try config.positive("stream.blockMs", default: defaults.stream.blockMilliseconds)
        guard settings.stream.blockMilliseconds < settings.redis.commandTimeoutMilliseconds else {
            throw Failure(key: "stream.blockMs", problem: "must be below redis.commandTimeoutMs")
        }
        settings.stream.retentionSeconds = try config.nonNegative("stream.retentionSeconds", default: defaults.stream.retentionSeconds)
        settings.stream.trimIntervalSeconds = try config.nonNegative("stream.trimIntervalSeconds", default: defaults.stream.trimIntervalSeconds)
        settings.stream.backoffInitialMilliseconds = try config.positive("stream.backoffInitialMs", default: defaults.stream.backoffInitialMilliseconds)
        settings.stream.backoffMaximumMilliseconds = try config.positive("stream.backoffMaxMs", default: defaults.stream.backoffMaximumMilliseconds)

        settings.readiness.maxLagEntries = try config.nonNegative("readiness.maxLagEntries", default: defaults.readiness.maxLagEntries)
        return settings
    }
}
