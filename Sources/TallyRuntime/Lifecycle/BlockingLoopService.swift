import Foundation
import Logging
import ServiceLifecycle

/// A blocking loop as a `Service`: the loop runs on a thread of its own,
/// never on Swift's cooperative pool, because rabbitmq-c and hiredis block
/// and each connection must stay on the thread that made it.
///
/// A graceful shutdown or a cancellation requests ``StopSignal``; the loop
/// is expected to finish the work in hand (settle its batch) and return,
/// which ends `run()`. The worker's batch loop, the aggregator's log ingest
/// and the vendor poller all run this way.
public struct BlockingLoopService: Service {
    private let threadName: String
    private let stop: StopSignal
    private let logger: Logger
    private let shutdownMessage: Logger.Message
    private let body: @Sendable (StopSignal) -> Void

    /// - Parameters:
    ///   - threadName: the thread's name, as `top -H` and debuggers show it.
    ///   - stop: shared with whoever else may ask for a stop (a signal
    ///     handler installed before the service starts).
    ///   - shutdownMessage: logged when a graceful shutdown begins.
    ///   - body: builds the loop on its thread and runs it until `stop`.
    public init(
        threadName: String, stop: StopSignal = StopSignal(), logger: Logger,
        shutdownMessage: Logger.Message = "graceful shutdown: finishing the work in hand",
        body: @escaping @Sendable (StopSignal) -> Void
    ) {
        self.threadName = threadName
        self.stop = stop
        self.logger = logger
        self.shutdownMessage = shutdownMessage
        self.body = body
    }

    public func run() async {
        let (stop, logger, message, body, name) = (stop, logger, shutdownMessage, body, threadName)
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                await Self.onOwnThread(named: name) { body(stop) }
            } onCancel: {
                stop.request()
            }
        } onGracefulShutdown: {
            logger.info(message)
            stop.request()
        }
    }

    /// Runs `body` on a new thread and returns when it has.
    public static func onOwnThread(named name: String, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (finished: CheckedContinuation<Void, Never>) in
            let thread = Thread {
                body()
                finished.resume()
            }
            thread.name = name
            thread.start()
        }
    }
}
