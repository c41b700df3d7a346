import Foundation
import Logging
import ServiceLifecycle

/// The log tailer as a `Service` (STYLE.md, example 5): the blocking loop
/// runs on its own `Thread`, never on Swift's cooperative pool, and a
/// graceful shutdown lets it finish (commit and ack) the batch in flight.
public struct IngestService: Service {
    private let configuration: AggregatorConfiguration
    private let index: RecordIndex
    private let status: IngestStatus
    private let metrics: AggregatorMetrics
    private let logger: Logger

    public init(
        configuration: AggregatorConfiguration, index: RecordIndex, status: IngestStatus,
        metrics: AggregatorMetrics, logger: Logger
    ) {
        self.configuration = configuration
        self.index = index
        self.status = status
        self.metrics = metrics
        self.logger = logger
    }

    public func run() async throws {
        let stop = IngestStopSignal()
        let (configuration, index, status, metrics, logger) = (configuration, index, status, metrics, logger)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        LogIngestor(
                            configuration: configuration, index: index, status: status, metrics: metrics,
                            stop: stop, logger: logger
                        ).run()
                        finished.resume()
                    }
                    thread.name = "tally-aggregator-ingest"
                    thread.start()
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            logger.info("graceful shutdown: finishing the ingest batch in flight")
            stop.request()
        }
    }
}
