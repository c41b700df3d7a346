import Configuration
import TallyRedisClient
import TallyRuntime
import TallyStore

/// Fills an ``AggregatorConfiguration`` from command-line flags, `TALLY_*`
/// environment variables and `Config/aggregator.json` (or the file in
/// `TALLY_AGGREGATOR_CONFIG_FILE`), in that precedence: key `http.port` is
/// `--http-port` and `TALLY_HTTP_PORT`; `redis.port` is `TALLY_REDIS_PORT`
/// (shared with the workers on purpose). The one place the
/// aggregator's keys are read.
extension AggregatorConfiguration: LoadableConfiguration {
    public typealias Failure = ConfigurationFailure
    public static let fileVariable = "TALLY_AGGREGATOR_CONFIG_FILE"
    public static let defaultPath = "Config/aggregator.json"

    public static func read(from config: ConfigReader, _ provenance: ConfigurationProvenance) throws -> AggregatorConfiguration {
        var settings = AggregatorConfiguration()
        let defaults = settings

        settings.http.host = config.string(forKey: "http.host", default: defaults.http.host)
        settings.http.port = try config.port("http.port", default: defaults.http.port)
        settings.admin.host = config.string(forKey: "admin.host", default: defaults.admin.host)
        settings.admin.port = try config.port("admin.port", default: defaults.admin.port)
        if settings.admin.port != 0, settings.admin.port == settings.http.port {
            throw Failure(key: "admin.port", problem: "must differ from http.port (\(settings.http.port))")
        }
        settings.api.tokenFile = config.optionalString("http.tokenFile")
        settings.api.allowAnonymous = config.bool(forKey: "http.allowAnonymous", default: defaults.api.allowAnonymous)
        do {
            settings.api.tokens = try BearerTokens.load(
                list: config.optionalString("http.tokens", isSecret: true), file: settings.api.tokenFile)
        } catch {
            throw Failure(key: settings.api.tokenFile == nil ? "http.tokens" : "http.tokenFile", problem: "\(error)")
        }
        settings.api.maxConcurrentRequests = try config.positive("http.maxConcurrentRequests", default: defaults.api.maxConcurrentRequests)
        settings.api.requestDeadlineMilliseconds = try config.positive("http.requestDeadlineMs", default: defaults.api.requestDeadlineMilliseconds)

        settings.redis = try RedisEndpoint.configured(from: config, provenance, defaults: defaults.redis)
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
        // No bound against redis.commandTimeoutMs: each read of the linger
        // blocks at most stream.blockMs, which is bounded above.
        settings.stream.lingerMilliseconds = try config.nonNegative("stream.lingerMs", default: defaults.stream.lingerMilliseconds)
        settings.stream.retentionSeconds = try config.nonNegative("stream.retentionSeconds", default: defaults.stream.retentionSeconds)
        settings.stream.trimIntervalSeconds = try config.nonNegative("stream.trimIntervalSeconds", default: defaults.stream.trimIntervalSeconds)
        settings.stream.backoffInitialMilliseconds = try config.positive("stream.backoffInitialMs", default: defaults.stream.backoffInitialMilliseconds)
        settings.stream.backoffMaximumMilliseconds = try config.positive("stream.backoffMaxMs", default: defaults.stream.backoffMaximumMilliseconds)

        settings.readiness.maxLagEntries = try config.nonNegative("readiness.maxLagEntries", default: defaults.readiness.maxLagEntries)
        // Last, so that a malformed key is named before a missing token.
        if settings.api.tokens.isEmpty, !settings.api.allowAnonymous {
            throw Failure(
                key: "http.tokens",
                problem: "no API token: set http.tokens or http.tokenFile (make up writes .state/api-token), or http.allowAnonymous=true for a listener only you can reach")
        }
        return settings
    }
}
