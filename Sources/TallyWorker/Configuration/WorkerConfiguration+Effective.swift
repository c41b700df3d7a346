import TallyBroker
import TallyRuntime
import TallyStore

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
        out.add("redis.waitReplicas", replicaAcknowledgement.replicas)
        out.add("redis.waitTimeoutMs", replicaAcknowledgement.timeoutMilliseconds)
        out.add("batch.maxSize", batch.maxSize)
        out.add("batch.maxWaitMs", batch.maxWaitMilliseconds)
        out.add("batch.prefetch", batch.prefetch)
        out.add("batch.confirmTimeoutMs", batch.confirmTimeoutMilliseconds)
        out.add("dedup.bucketSeconds", dedup.bucketSeconds)
        out.add("dedup.buckets", dedup.buckets)
        out.add("dedup.aheadSeconds", dedup.aheadSeconds)
        out.add("dedup.windowSeconds", dedup.windowSeconds)
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
