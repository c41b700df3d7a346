import CoreMetrics
import Prometheus
import TallyCore

/// The worker's metrics: swift-metrics instruments on a Prometheus backend,
/// rendered at `/metrics` (docs/operations.md, "Watching it").
///
/// A registry per instance rather than the global `MetricsSystem` (as the
/// aggregator does), so tests and two loops in one process never share
/// counters. swift-metrics handlers are thread-safe: the batch loop updates
/// them from its own thread while the HTTP server renders them.
public final class WorkerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory

    /// Deliveries taken from `records.work` (redeliveries included).
    let consumed: CoreMetrics.Counter
    /// Records whose notification was published and confirmed (a redelivery
    /// that re-publishes a pending outcome counts again).
    let processed: CoreMetrics.Counter
    /// Producer duplicates and redeliveries of already confirmed records.
    let duplicates: CoreMetrics.Counter
    /// A known recordId with a different body (also counted as dead-lettered).
    let conflicts: CoreMetrics.Counter
    /// Alerts published (value above its threshold).
    let alerts: CoreMetrics.Counter
    /// Connections re-established after a failure.
    let reconnects: CoreMetrics.Counter
    /// Connection or batch failures that made the worker reconnect.
    let failures: CoreMetrics.Counter
    /// `WAIT`s in which fewer Redis replicas than `redis.waitReplicas`
    /// acknowledged a batch's writes: its outputs stay held back.
    let replicaWaitTimeouts: CoreMetrics.Counter
    /// Outputs the broker nacked, published again on a new connection
    /// (after a node's loss a channel can keep routing to a quorum queue's
    /// old leader; ``BatchProtocol`` retries before it dead-letters).
    let republished: CoreMetrics.Counter
    /// Deliveries per batch.
    let batchSize: CoreMetrics.Recorder
    /// Deliveries received and not yet acked.
    let inFlight: CoreMetrics.Meter
    /// 1 while both the broker and the Redis connection are up.
    let ready: CoreMetrics.Meter
    private let stageTimers: [WorkerStatistics.Stage: CoreMetrics.Timer]
    private let deadLettered: [Rejection.Reason: CoreMetrics.Counter]

    public init() {
        registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.valueHistogramBuckets["tally_worker_batch_size"] = [1, 5, 10, 25, 50, 100, 250, 500, 1000]
        factory.durationHistogramBuckets["tally_worker_stage_duration_seconds"] = [
            .microseconds(100), .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(5),
        ]
        self.factory = factory
        consumed = CoreMetrics.Counter(label: "tally_worker_consumed_total", factory: factory)
        processed = CoreMetrics.Counter(label: "tally_worker_processed_total", factory: factory)
        duplicates = CoreMetrics.Counter(label: "tally_worker_duplicates_total", factory: factory)
        conflicts = CoreMetrics.Counter(label: "tally_worker_conflicts_total", factory: factory)
        alerts = CoreMetrics.Counter(label: "tally_worker_alerts_total", factory: factory)
        reconnects = CoreMetrics.Counter(label: "tally_worker_reconnects_total", factory: factory)
        failures = CoreMetrics.Counter(label: "tally_worker_failures_total", factory: factory)
        replicaWaitTimeouts = CoreMetrics.Counter(label: "tally_worker_replica_wait_timeouts_total", factory: factory)
        republished = CoreMetrics.Counter(label: "tally_worker_republished_total", factory: factory)
        batchSize = CoreMetrics.Recorder(label: "tally_worker_batch_size", factory: factory)
        inFlight = CoreMetrics.Meter(label: "tally_worker_in_flight", factory: factory)
        ready = CoreMetrics.Meter(label: "tally_worker_ready", factory: factory)
        var timers: [WorkerStatistics.Stage: CoreMetrics.Timer] = [:]
        for stage in WorkerStatistics.Stage.allCases {
            timers[stage] = CoreMetrics.Timer(
                label: "tally_worker_stage_duration_seconds", dimensions: [("stage", stage.rawValue)], factory: factory)
        }
        stageTimers = timers
        var dead: [Rejection.Reason: CoreMetrics.Counter] = [:]
        for reason in Rejection.Reason.allCases {
            dead[reason] = CoreMetrics.Counter(
                label: "tally_worker_dead_lettered_total", dimensions: [("reason", reason.rawValue)], factory: factory)
        }
        deadLettered = dead
        ready.set(0)
        inFlight.set(0)
    }

    func recordStage(_ stage: WorkerStatistics.Stage, _ duration: Duration) {
        stageTimers[stage]?.recordNanoseconds(Self.nanoseconds(duration))
    }

    func deadLettered(_ reason: Rejection.Reason) {
        deadLettered[reason]?.increment()
        if reason == .conflict { conflicts.increment() }
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The text exposition format.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
