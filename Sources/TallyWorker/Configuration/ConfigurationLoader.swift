import Configuration
import SystemPackage
import TallyCore

/// Fills a ``WorkerConfiguration`` from `Config/worker.json` (or the file in
/// `TALLY_CONFIG_FILE`) overridden by `TALLY_*` environment variables: key
/// `redis.port` is `TALLY_REDIS_PORT`. The one place configuration is read.
public enum ConfigurationLoader {
    public struct Failure: Error, CustomStringConvertible {
        public let key: String
        public let problem: String
        public var description: String { "configuration key \(key): \(problem)" }
    }

    public static func worker(
        file: String? = nil, environment: [String: String]
    ) async throws -> WorkerConfiguration {
        let path = file ?? environment["TALLY_CONFIG_FILE"] ?? "Config/worker.json"
        let reader = ConfigReader(providers: [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "tally"),
            try await FileProvider<JSONSnapshot>(filePath: FilePath(path), allowMissing: file == nil),
        ])
        return try worker(from: reader)
    }

    static func worker(from config: ConfigReader) throws -> WorkerConfiguration {
        var settings = WorkerConfiguration()
        let defaults = settings

        settings.broker.host = config.string(forKey: "amqp.host", default: defaults.broker.host)
        settings.broker.port = config.int(forKey: "amqp.port", default: defaults.broker.port)
        settings.broker.user = config.string(forKey: "amqp.user", default: defaults.broker.user)
        settings.broker.password = config.string(forKey: "amqp.password", isSecret: true, default: defaults.broker.password)
        settings.broker.virtualHost = config.string(forKey: "amqp.vhost", default: defaults.broker.virtualHost)

        settings.topology.recordsExchange = config.string(forKey: "topology.records", default: defaults.topology.recordsExchange)
        settings.topology.workQueue = config.string(forKey: "topology.work", default: defaults.topology.workQueue)
        settings.topology.deadExchange = config.string(forKey: "topology.deadExchange", default: defaults.topology.deadExchange)
        settings.topology.deadQueue = config.string(forKey: "topology.deadQueue", default: defaults.topology.deadQueue)
        settings.topology.notificationsExchange = config.string(
            forKey: "topology.notifications", default: defaults.topology.notificationsExchange)
        settings.topology.alertsExchange = config.string(forKey: "topology.alerts", default: defaults.topology.alertsExchange)
        settings.topology.deliveryLimit = try positive(config, "topology.deliveryLimit", defaults.topology.deliveryLimit)

        settings.redis.host = config.string(forKey: "redis.host", default: defaults.redis.host)
        settings.redis.port = config.int(forKey: "redis.port", default: defaults.redis.port)
        settings.redis.password = config.string(forKey: "redis.password", isSecret: true)
        settings.redis.commandTimeoutMilliseconds = try positive(
            config, "redis.commandTimeoutMs", defaults.redis.commandTimeoutMilliseconds)
        settings.keyPrefix = config.string(forKey: "redis.keyPrefix", default: defaults.keyPrefix)

        settings.batch.maxSize = try positive(config, "batch.maxSize", defaults.batch.maxSize)
        settings.batch.maxWaitMilliseconds = try nonNegative(config, "batch.maxWaitMs", defaults.batch.maxWaitMilliseconds)
        settings.batch.prefetch = try positive(config, "batch.prefetch", defaults.batch.prefetch)
        if settings.batch.prefetch > 65_535 { throw Failure(key: "batch.prefetch", problem: "must be at most 65535") }
        settings.batch.confirmTimeoutMilliseconds = try positive(
            config, "batch.confirmTimeoutMs", defaults.batch.confirmTimeoutMilliseconds)

        settings.dedup.bucketSeconds = try positive(config, "dedup.bucketSeconds", defaults.dedup.bucketSeconds)
        settings.dedup.buckets = try positive(config, "dedup.buckets", defaults.dedup.buckets)
        if settings.dedup.buckets < 2 {
            throw Failure(key: "dedup.buckets", problem: "must be at least 2, or a record applied just before a bucket ends is forgotten at once")
        }

        let threshold = config.string(forKey: "alerts.threshold", default: defaults.alerts.defaultThreshold.description)
        guard let parsed = try? ExactDecimal.parse(threshold), !parsed.isNegative else {
            throw Failure(key: "alerts.threshold", problem: "\"\(threshold)\" is not a non-negative decimal")
        }
        settings.alerts.defaultThreshold = parsed
        do {
            settings.alerts.perUnit = try AlertPolicy.parseOverrides(
                config.stringArray(forKey: "alerts.unitThresholds", default: []))
        } catch {
            throw Failure(key: "alerts.unitThresholds", problem: error.detail)
        }

        settings.limits.maxBodyBytes = try positive(config, "limits.maxBodyBytes", defaults.limits.maxBodyBytes)
        settings.limits.maxFieldBytes = try positive(config, "limits.maxFieldBytes", defaults.limits.maxFieldBytes)

        settings.backoff.initialMilliseconds = try positive(config, "backoff.initialMs", defaults.backoff.initialMilliseconds)
        settings.backoff.maximumMilliseconds = try positive(config, "backoff.maxMs", defaults.backoff.maximumMilliseconds)
        return settings
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
