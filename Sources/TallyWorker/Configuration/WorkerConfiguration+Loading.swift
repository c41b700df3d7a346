import Configuration
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyRuntime
import TallyStore

/// Fills a ``WorkerConfiguration`` from command-line flags, `TALLY_*`
/// environment variables and `Config/worker.json` (or the file in
/// `TALLY_CONFIG_FILE`), in that precedence: key `redis.port` is
/// `--redis-port` and `TALLY_REDIS_PORT` (see ``ConfigurationSource``).
/// The one place the worker's keys are read.
extension WorkerConfiguration: LoadableConfiguration {
    public typealias Failure = ConfigurationFailure
    public static let fileVariable = "TALLY_CONFIG_FILE"
    public static let defaultPath = "Config/worker.json"

    public static func read(from config: ConfigReader, _ provenance: ConfigurationProvenance) throws -> WorkerConfiguration {
        var settings = WorkerConfiguration()
        let defaults = settings

        settings.broker = try AMQPEndpoint.configured(from: config, provenance, defaults: defaults.broker)

        settings.topology.recordsExchange = config.string(forKey: "topology.records", default: defaults.topology.recordsExchange)
        settings.topology.workQueue = config.string(forKey: "topology.work", default: defaults.topology.workQueue)
        settings.topology.deadExchange = config.string(forKey: "topology.deadExchange", default: defaults.topology.deadExchange)
        settings.topology.deadQueue = config.string(forKey: "topology.deadQueue", default: defaults.topology.deadQueue)
        settings.topology.notificationsExchange = config.string(
            forKey: "topology.notifications", default: defaults.topology.notificationsExchange)
        settings.topology.alertsExchange = config.string(forKey: "topology.alerts", default: defaults.topology.alertsExchange)
        settings.topology.reportsExchange = config.string(forKey: "topology.reports", default: defaults.topology.reportsExchange)
        settings.topology.deliveryLimit = try config.positive("topology.deliveryLimit", default: defaults.topology.deliveryLimit)

        settings.redis = try RedisEndpoint.configured(from: config, provenance, defaults: defaults.redis)
        settings.redis.commandTimeoutMilliseconds = try config.positive("redis.commandTimeoutMs", default: defaults.redis.commandTimeoutMilliseconds)
        settings.keyPrefix = config.string(forKey: "redis.keyPrefix", default: defaults.keyPrefix)
        settings.replicaAcknowledgement.replicas = try config.nonNegative(
            "redis.waitReplicas", default: defaults.replicaAcknowledgement.replicas)
        settings.replicaAcknowledgement.timeoutMilliseconds = try config.positive(
            "redis.waitTimeoutMs", default: defaults.replicaAcknowledgement.timeoutMilliseconds)
        if settings.replicaAcknowledgement.timeoutMilliseconds >= settings.redis.commandTimeoutMilliseconds {
            throw Failure(
                key: "redis.waitTimeoutMs",
                problem: "must be below redis.commandTimeoutMs (\(settings.redis.commandTimeoutMilliseconds)), or a slow WAIT reads as a broken connection")
        }

        settings.batch.maxSize = try config.positive("batch.maxSize", default: defaults.batch.maxSize)
        settings.batch.maxWaitMilliseconds = try config.nonNegative("batch.maxWaitMs", default: defaults.batch.maxWaitMilliseconds)
        settings.batch.prefetch = try config.positive("batch.prefetch", default: defaults.batch.prefetch)
        if settings.batch.prefetch > 65_535 { throw Failure(key: "batch.prefetch", problem: "must be at most 65535") }
        settings.batch.confirmTimeoutMilliseconds = try config.positive("batch.confirmTimeoutMs", default: defaults.batch.confirmTimeoutMilliseconds)

        settings.dedup.bucketSeconds = try config.positive("dedup.bucketSeconds", default: defaults.dedup.bucketSeconds)
        settings.dedup.buckets = try config.positive("dedup.buckets", default: defaults.dedup.buckets)
        if settings.dedup.buckets < 2 {
            throw Failure(key: "dedup.buckets", problem: "must be at least 2, or a record applied just before a bucket ends is forgotten at once")
        }
        settings.dedup.aheadSeconds = try config.nonNegative("dedup.aheadSeconds", default: defaults.dedup.aheadSeconds)
        if settings.dedup.aheadSeconds > settings.dedup.windowSeconds {
            throw Failure(key: "dedup.aheadSeconds", problem: "must be at most the window (dedup.bucketSeconds × (dedup.buckets − 1) = \(settings.dedup.windowSeconds))")
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

        settings.limits.maxBodyBytes = try config.positive("limits.maxBodyBytes", default: defaults.limits.maxBodyBytes)
        settings.limits.maxFieldBytes = try config.positive("limits.maxFieldBytes", default: defaults.limits.maxFieldBytes)
        guard settings.limits.maxFieldBytes <= RecordLimits.maxFieldBytesAllowed else {
            throw ConfigurationFailure(
                key: "limits.maxFieldBytes",
                problem: "must be at most \(RecordLimits.maxFieldBytesAllowed): recordId and destinationId travel as AMQP short strings")
        }

        settings.backoff.initialMilliseconds = try config.positive("backoff.initialMs", default: defaults.backoff.initialMilliseconds)
        settings.backoff.maximumMilliseconds = try config.positive("backoff.maxMs", default: defaults.backoff.maximumMilliseconds)

        settings.metrics.host = config.string(forKey: "metrics.host", default: defaults.metrics.host)
        settings.metrics.port = config.int(forKey: "metrics.port", default: defaults.metrics.port)
        guard (0...65_535).contains(settings.metrics.port) else {
            throw Failure(key: "metrics.port", problem: "not a TCP port (0 lets the system choose): \(settings.metrics.port)")
        }
        return settings
    }
}
