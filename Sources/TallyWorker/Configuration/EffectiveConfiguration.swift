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
}

extension WorkerConfiguration {
    /// Every key of `Config/worker.json`, as this configuration holds it.
    public var effective: EffectiveConfiguration {
        var out = EffectiveConfiguration()
        out.add("amqp.host", broker.host)
        out.add("amqp.port", broker.port)
        out.add("amqp.user", broker.user)
        out.addSecret("amqp.password", broker.password)
        out.add("amqp.vhost", broker.virtualHost)
        out.add("topology.records", topology.recordsExchange)
        out.add("topology.work", topology.workQueue)
        out.add("topology.deadExchange", topology.deadExchange)
        out.add("topology.deadQueue", topology.deadQueue)
        out.add("topology.notifications", topology.notificationsExchange)
        out.add("topology.alerts", topology.alertsExchange)
        out.add("topology.reports", topology.reportsExchange)
        out.add("topology.deliveryLimit", topology.deliveryLimit)
        out.add("redis.host", redis.host)
        out.add("redis.port", redis.port)
        out.addSecret("redis.password", redis.password)
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
