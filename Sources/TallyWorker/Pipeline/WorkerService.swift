import Logging
import TallyRuntime

/// The worker as a `Service`: the blocking batch loop on a thread of its
/// own; a graceful shutdown asks it to finish the batch in flight, ack it
/// and return.
public enum WorkerService {
    /// - Parameters:
    ///   - stop: shared with whoever else may ask for a stop, such as
    ///     a signal handler installed before this service starts.
    ///   - metrics, readiness: what the loop reports, for the HTTP listener.
    public static func make(
        configuration: WorkerConfiguration, logger: Logger, stop: StopSignal = StopSignal(),
        metrics: WorkerMetrics = WorkerMetrics(), readiness: WorkerReadiness = WorkerReadiness()
    ) -> BlockingLoopService {
        BlockingLoopService(
            threadName: "tally-worker-loop", stop: stop, logger: logger,
            shutdownMessage: "graceful shutdown: finishing the batch in flight"
        ) { stop in
            WorkerLoop(configuration: configuration, logger: logger, stop: stop, metrics: metrics, readiness: readiness).run()
        }
    }
}
