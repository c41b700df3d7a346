import Dispatch
import Foundation
import Logging
import Synchronization

/// SIGTERM and SIGINT for the long-running processes (the worker, the
/// vendor poller): the first asks for a graceful stop through `stop` (the
/// work in hand is finished and settled), the second exits at once. Exiting
/// at once is safe for both: unacked deliveries are redelivered and the
/// Redis Function makes that harmless; the poller's stored cursor only ever
/// follows confirms. Install it first thing in `main`; ServiceGroup may react
/// to the same signals too, and both paths set the same StopSignal.
public enum TerminationSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    /// Where the second signal is reported before the exit, when set.
    nonisolated(unsafe) public static var logger: Logger?

    public static func install(stop: StopSignal) {
        let count = Mutex(0)
        for signalNumber in [SIGTERM, SIGINT] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let seen = count.withLock { value -> Int in
                    value += 1
                    return value
                }
                if seen >= 2 {
                    logger?.warning("second signal: exiting now")
                    exit(128 + signalNumber)
                }
                stop.request()
            }
            source.resume()
            sources.append(source)
        }
    }
}
