import Logging
import TallyCore

/// Counts of what a worker did, logged at stop and fed to the Prometheus
/// metrics (``WorkerMetrics``) as they happen.
struct WorkerStatistics {
    var metrics: WorkerMetrics?
    var processed = 0
    var duplicates = 0
    var deadLettered = 0
    var batches = 0
    /// Time spent per stage, to see where a batch's latency goes.
    var stageTime: [Stage: Duration] = [:]

    enum Stage: String, CaseIterable {
        case gather, validate, apply, publish, confirm, forget, ack
    }

    mutating func time<T>(_ stage: Stage, _ work: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { record(stage, ContinuousClock.now - start) }
        return try work()
    }

    /// Adds one sample of `stage` that was measured elsewhere.
    mutating func record(_ stage: Stage, _ elapsed: Duration) {
        stageTime[stage, default: .zero] += elapsed
        metrics?.recordStage(stage, elapsed)
    }

    /// Once per batch, from the ledger's tally: the counters move by the
    /// batch, not by the record.
    mutating func count(_ ledger: BatchLedger) {
        batches += 1
        let tally = ledger.tally
        processed += tally.published
        duplicates += tally.duplicates
        deadLettered += tally.deadLetters
        guard let metrics else { return }
        if tally.published > 0 { metrics.processed.increment(by: tally.published) }
        if tally.alerts > 0 { metrics.alerts.increment(by: tally.alerts) }
        if tally.duplicates > 0 { metrics.duplicates.increment(by: tally.duplicates) }
        guard tally.deadLetters > 0 else { return }
        for entry in ledger.entries {
            if case .deadLetter(let rejection) = entry.outcome { metrics.deadLettered(rejection.reason) }
        }
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "processed": "\(processed)", "duplicates": "\(duplicates)", "dead-lettered": "\(deadLettered)",
            "batches": "\(batches)",
        ]
        for stage in Stage.allCases {
            let time = stageTime[stage, default: .zero].components
            metadata["ms-\(stage.rawValue)"] = "\(time.seconds * 1000 + time.attoseconds / 1_000_000_000_000_000)"
        }
        return metadata
    }
}
