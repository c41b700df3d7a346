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

    /// - Parameter stop: shared with whoever else may ask for a stop, such as
    ///   a signal handler installed before this service starts.
    public init(configuration: WorkerConfiguration, logger: Logger, stop: StopSignal = StopSignal()) {
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
    }

    public func run() async throws {
        let stop = self.stop
        let configuration = self.configuration
        let logger = self.logger
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
                    let thread = Thread {
                        WorkerLoop(configuration: configuration, logger: logger, stop: stop).run()
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
