import Prometheus

/// The aggregator's Prometheus metrics, rendered at `/metrics`.
///
/// A registry per instance rather than the global `MetricsSystem`, so tests
/// (and two aggregators in one process) never share counters.
public final class AggregatorMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    /// Records newly inserted into the index; `rate()` of it is the ingest rate.
    let ingestedRecords: Counter
    /// Log entries read (including re-reads of records already indexed).
    let readEntries: Counter
    /// SQLite transactions that committed a batch: records ingested over
    /// commits is the batch size the ingest achieves (`stream.lingerMs`).
    let ingestCommits: Counter
    /// Records in the log that are not valid, and entries that hold no
    /// record (skipped, logged). The name predates batch entries.
    let unreadableEntries: Counter
    /// Log entries removed by XTRIM.
    let trimmedEntries: Counter
    /// Entries of the log not yet committed to the index.
    let indexLag: Gauge
    /// Wall time of `GET /v1/aggregations`, by whether it was totals-only.
    let pageLatency: DurationHistogram
    let totalsLatency: DurationHistogram

    public init() {
        ingestedRecords = registry.makeCounter(descriptor: Self.named("tally_aggregator_ingested_records", "total",
                "Records newly inserted into the index."))
        readEntries = registry.makeCounter(descriptor: Self.named("tally_aggregator_log_entries_read", "total",
                "Log stream entries read, re-reads included."))
        ingestCommits = registry.makeCounter(descriptor: Self.named("tally_aggregator_ingest_commits", "total",
                "Index transactions that committed a batch of log entries."))
        unreadableEntries = registry.makeCounter(descriptor: Self.named("tally_aggregator_log_entries_unreadable", "total",
                "Log records that are not valid, and entries without a record (skipped)."))
        trimmedEntries = registry.makeCounter(descriptor: Self.named("tally_aggregator_log_entries_trimmed", "total",
                "Log entries removed by XTRIM."))
        indexLag = registry.makeGauge(descriptor: Self.named("tally_aggregator_index_lag", "entries",
                "Log entries not yet committed to the index (-1: unknown)."))
        let buckets: [Duration] = [
            .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
            .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        ]
        pageLatency = registry.makeDurationHistogram(
            descriptor: Self.named("tally_aggregator_query_duration", "seconds",
                "Latency of GET /v1/aggregations."),
            labels: [("kind", "page")], buckets: buckets)
        totalsLatency = registry.makeDurationHistogram(
            descriptor: Self.named("tally_aggregator_query_duration", "seconds",
                "Latency of GET /v1/aggregations."),
            labels: [("kind", "totals")], buckets: buckets)
    }

    /// Exposed as `<name>_<unit>`, e.g. `tally_aggregator_index_lag_entries`.
    private static func named(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
    }

    /// The text exposition format.
    public func render() -> [UInt8] { registry.emitToBuffer() }
}
