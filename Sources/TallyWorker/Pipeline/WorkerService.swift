import Foundation
import Logging
import ServiceLifecycle

/// The worker as a `Service` (STYLE.md, example 5): the blocking batch
/// loop runs on its own thread, off Swift's cooperative pool, and graceful
/// shutdown asks it to finish the batch in flight, ack it and return.
public struct WorkerService: Service {
    private let configuration: WorkerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let metrics: WorkerMetrics
    private let readiness: WorkerReadiness

    /// - Parameters:
    ///   - stop: shared with whoever else may ask for a stop, such as
    ///     a signal handler installed before this service starts.
    ///   - metrics, readiness: what the loop reports, for the HTTP listener.
    public init(
        configuration: WorkerConfiguration, logger: Logger, stop: StopSignal = StopSignal(),
        metrics: WorkerMetrics = WorkerMetrics(), readiness: WorkerReadiness = WorkerReadiness()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        self.metrics = metrics
        self.readiness = readiness
    }

    public func run() async throws {
        let stop = self.stop
        let configuration = self.configuration
        let logger = self.logger
        let metrics = self.metrics
        let readiness = self.readiness
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        WorkerLoop(configuration: configuration, logger: logger, stop: stop, metrics: metrics, readiness: readiness).run()
                        finished.resume()
                    }
                    thread.name = "tally-worker-loop"
                    thread.start()
                }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            logger.info("graceful shutdown: finishing the batch in flight")
            stop.request()
        }
    }
}
