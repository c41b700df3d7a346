import Foundation
import Synchronization

/// Asks the ingest thread to stop after the batch in flight; its sleeps
/// (backoff) wake up early when asked.
final class IngestStopSignal: Sendable {
    private let requested = Atomic<Bool>(false)

    func request() { requested.store(true, ordering: .relaxed) }

    var isRequested: Bool { requested.load(ordering: .relaxed) }

    /// Sleeps in short steps so a stop is noticed within 50 ms.
    func sleep(milliseconds: Int) {
        var left = milliseconds
        while left > 0, !isRequested {
            let step = min(left, 50)
            usleep(UInt32(step) * 1000)
            left -= step
        }
    }
}
