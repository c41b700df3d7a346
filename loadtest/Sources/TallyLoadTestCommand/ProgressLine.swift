import Foundation
import Synchronization
import TallyLoadTest

/// Prints one progress line a second to standard error while a run goes
/// (published, outputs, rates, worker memory), and keeps the peak resident
/// set of each worker it sees.
final class ProgressLine: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let finished = Atomic<Bool>(false)
    private let peaks = Mutex<[Int32: UInt64]>([:])

    init(label: String, total: Int, counters: LiveCounters, clock: RunClock, probe: WorkerProbe, enabled: Bool) {
        let pids = probe.pids
        Thread { [self] in
            var lastPublished = 0, lastOutputs = 0
            while !self.finished.load(ordering: .relaxed) {
                _ = self.done.wait(timeout: .now() + 1)
                let samples = WorkerProbe(pids: pids).sample()
                self.peaks.withLock { peaks in
                    for (pid, sample) in samples { peaks[pid] = max(peaks[pid] ?? 0, sample.residentBytes) }
                }
                guard enabled, !self.finished.load(ordering: .relaxed) else { continue }
                let published = counters.published.load(ordering: .relaxed)
                let notifications = counters.notifications.load(ordering: .relaxed)
                let dead = counters.deadLetters.load(ordering: .relaxed)
                let outputs = notifications + dead
                var line = "[\(label) \(Int(RunClock.seconds(clock.nanos)))s] published \(published)/\(total) (\(published - lastPublished)/s)"
                line += " · notifications \(notifications) · alerts \(counters.alerts.load(ordering: .relaxed)) · dead letters \(dead) (\(outputs - lastOutputs)/s)"
                if !samples.isEmpty {
                    line += " · worker RSS " + samples.keys.sorted().map { String(format: "%.0f MiB", Double(samples[$0]!.residentBytes) / 1_048_576) }.joined(separator: ", ")
                }
                FileHandle.standardError.write(Data((line + "\n").utf8))
                lastPublished = published
                lastOutputs = outputs
            }
        }.start()
    }

    /// Stops the line; returns the peak resident bytes seen per worker.
    func stop() -> [Int32: UInt64] {
        finished.store(true, ordering: .relaxed)
        done.signal()
        return peaks.withLock { $0 }
    }
}
