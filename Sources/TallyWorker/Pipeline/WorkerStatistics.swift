import Logging
import TallyCore

/// Counts of what a worker did, logged at stop (metrics come with the ops issue).
struct WorkerStatistics {
    var processed = 0
    var duplicates = 0
    var deadLettered = 0
    var requeued = 0
    var batches = 0

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
        [
            "processed": "\(processed)", "duplicates": "\(duplicates)", "dead-lettered": "\(deadLettered)",
            "requeued": "\(requeued)", "batches": "\(batches)",
        ]
    }
}
