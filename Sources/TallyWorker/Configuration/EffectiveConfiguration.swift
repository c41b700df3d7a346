import TallyAMQP
import TallyRedis

/// The effective configuration of a process as `key = value` lines, in the
/// keys of `Config/*.json`, with secrets masked (`tally config print`).
/// A secret that is set shows as `********`; one that is not, as `(none)`.
public struct EffectiveConfiguration: Sendable, CustomStringConvertible {
    public private(set) var entries: [(key: String, value: String)] = []

    public init() {}

    public mutating func add(_ key: String, _ value: CustomStringConvertible) {
        entries.append((key, value.description))
    }

    public mutating func addSecret(_ key: String, _ value: String?) {
        entries.append((key, value.map { $0.isEmpty ? "(empty)" : "********" } ?? "(none)"))
    }

    public var description: String { entries.map { "\($0.key) = \($0.value)" }.joined(separator: "\n") }

    /// One line per key with the source of its value, aligned:
    /// `batch.maxSize = 50    # flag --batch-max-size`.
    public func described(origins: ConfigurationProvenance) -> String {
        let width = entries.map { $0.key.count + $0.value.count }.max() ?? 0
        return entries.map { entry in
            let line = "\(entry.key) = \(entry.value)"
            return line + String(repeating: " ", count: width + 5 - line.count) + "# \(origins.origin(of: entry.key))"
        }.joined(separator: "\n")
    }

    /// The `amqp.*` keys of an endpoint: the URL with its password masked,
    /// then each part.
    public mutating func add(_ broker: AMQPEndpoint) {
        add("amqp.url", broker.redactedURL)
        add("amqp.host", broker.host)
        add("amqp.port", broker.port)
        add("amqp.user", broker.user)
        addSecret("amqp.password", broker.password)
        add("amqp.vhost", broker.virtualHost)
        add("amqp.heartbeatSeconds", broker.heartbeatSeconds)
        add("amqp.tls.enabled", broker.tls != nil)
        let tls = broker.tls ?? AMQPTLSSettings()
        add("amqp.tls.caFile", tls.caFile ?? "(none)")
        add("amqp.tls.certFile", tls.certFile ?? "(none)")
        add("amqp.tls.keyFile", tls.keyFile ?? "(none)")
        add("amqp.tls.verifyPeer", tls.verifyPeer)
        add("amqp.tls.verifyHostname", tls.verifyHostname)
    }

    /// The `redis.*` connection keys of an endpoint.
    public mutating func add(_ redis: RedisEndpoint) {
        add("redis.url", redis.redactedURL)
        add("redis.host", redis.host)
        add("redis.port", redis.port)
        add("redis.user", redis.username ?? "(default)")
        addSecret("redis.password", redis.password)
    }
}

extension WorkerConfiguration {
    /// Every key of `Config/worker.json`, as this configuration holds it.
    public var effective: EffectiveConfiguration {
        var out = EffectiveConfiguration()
        out.add(broker)
        out.add("topology.records", topology.recordsExchange)
        out.add("topology.work", topology.workQueue)
        out.add("topology.deadExchange", topology.deadExchange)
        out.add("topology.deadQueue", topology.deadQueue)
        out.add("topology.notifications", topology.notificationsExchange)
        out.add("topology.alerts", topology.alertsExchange)
        out.add("topology.reports", topology.reportsExchange)
        out.add("topology.deliveryLimit", topology.deliveryLimit)
        out.add(redis)
        out.add("redis.keyPrefix", keyPrefix)
        out.add("redis.commandTimeoutMs", redis.commandTimeoutMilliseconds)
        out.add("batch.maxSize", batch.maxSize)
        out.add("batch.maxWaitMs", batch.maxWaitMilliseconds)
        out.add("batch.prefetch", batch.prefetch)
        out.add("batch.confirmTimeoutMs", batch.confirmTimeoutMilliseconds)
        out.add("dedup.bucketSeconds", dedup.bucketSeconds)
        out.add("dedup.buckets", dedup.buckets)
        out.add("alerts.threshold", alerts.defaultThreshold)
        out.add("alerts.unitThresholds", "[" + alerts.perUnit.keys.sorted().map { "\($0)=\(alerts.perUnit[$0]!)" }.joined(separator: ", ") + "]")
        out.add("limits.maxBodyBytes", limits.maxBodyBytes)
        out.add("limits.maxFieldBytes", limits.maxFieldBytes)
        out.add("backoff.initialMs", backoff.initialMilliseconds)
        out.add("backoff.maxMs", backoff.maximumMilliseconds)
        out.add("metrics.host", metrics.host)
        out.add("metrics.port", metrics.port)
        return out
    }
}
