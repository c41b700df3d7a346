import Logging
import TallyRuntime

/// The log tailer as a `Service`: the blocking ingest loop on a thread of
/// its own; a graceful shutdown lets it finish (commit and ack) the batch
/// in flight.
enum IngestService {
    static func make(
        configuration: AggregatorConfiguration, index: RecordIndex, status: IngestStatus,
        metrics: AggregatorMetrics, logger: Logger
    ) -> BlockingLoopService {
        BlockingLoopService(
            threadName: "tally-aggregator-ingest", logger: logger,
            shutdownMessage: "graceful shutdown: finishing the ingest batch in flight"
        ) { stop in
            LogIngestor(
                configuration: configuration, index: index, status: status, metrics: metrics, stop: stop, logger: logger
            ).run()
        }
    }
}
