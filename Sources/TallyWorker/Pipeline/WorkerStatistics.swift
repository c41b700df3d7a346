import Logging
import TallyCore

/// Counts of what a worker did, logged at stop (metrics come with the ops issue).
struct WorkerStatistics {
    var processed = 0
    var duplicates = 0
    var deadLettered = 0
    var requeued = 0
    var batches = 0
    /// Time spent per stage, to see where a batch's latency goes.
    var stageTime: [Stage: Duration] = [:]

    enum Stage: String, CaseIterable {
        case gather, validate, apply, publish, confirm, forget, ack
    }

    mutating func time<T>(_ stage: Stage, _ work: () throws -> T) rethrows -> T {
        let start = ContinuousClock.now
        defer { stageTime[stage, default: .zero] += ContinuousClock.now - start }
        return try work()
    }

    mutating func count(_ ledger: BatchLedger) {
        batches += 1
        for entry in ledger.entries {
            switch entry.outcome {
            case .publish: processed += 1
            case .duplicate: duplicates += 1
            case .deadLetter: deadLettered += 1
            case .requeue: requeued += 1
            }
        }
    }

    var metadata: Logger.Metadata {
        var metadata: Logger.Metadata = [
            "processed": "\(processed)", "duplicates": "\(duplicates)", "dead-lettered": "\(deadLettered)",
            "requeued": "\(requeued)", "batches": "\(batches)",
        ]
        for stage in Stage.allCases {
            let time = stageTime[stage, default: .zero].components
            metadata["ms-\(stage.rawValue)"] = "\(time.seconds * 1000 + time.attoseconds / 1_000_000_000_000_000)"
        }
        return metadata
    }
}
