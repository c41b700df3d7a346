/// What the Redis Function answered for one record.
public enum ApplyResult: Sendable, Equatable {
    /// Applied now; the stored outcome is to be published.
    case applied(StoredOutcome)
    /// Applied before, outputs not yet confirmed downstream.
    case pending(StoredOutcome)
    /// Applied before and confirmed: nothing left to do.
    case duplicate
    /// Applied before with a different body.
    case conflict
    /// The record's time is outside the dedup window (`old` or `future`):
    /// not applied.
    case outsideWindow(String)
    /// Redis answered this call with an error that concerns this record
    /// alone (errors of the server's state throw instead); nothing of it was
    /// written, and the others are unaffected.
    case failed(String)
}

extension DeliveryOutcome {
    /// Decides what to do with a delivery from what the Function answered.
    ///
    /// A stored outcome that is still pending was never confirmed by the
    /// broker, so it is published (again): it may be a redelivery after a
    /// crash, or a producer duplicate or operator replay whose original
    /// delivery will never come back (dead-lettered by the delivery limit).
    /// Re-publishing is safe: the bytes and `message_id` are the stored ones
    /// (docs/contract.md, "Outputs"). Only a *confirmed* outcome (`duplicate`)
    /// publishes nothing. `BatchLedger` publishes a recordId once per batch.
    public init(_ result: ApplyResult, record: Record, fingerprint: RecordFingerprint? = nil) {
        switch result {
        case .applied(let stored), .pending(let stored):
            self = .publish(stored.outputs(for: record, fingerprint: fingerprint))
        case .duplicate:
            self = .duplicate
        case .conflict:
            self = .deadLetter(Rejection(.conflict, field: .recordId, detail: "was processed before with a different body"))
        case .outsideWindow(let side):
            self = .deadLetter(Rejection(
                .outsideDedupWindow, field: .time,
                detail: side == "future"
                    ? "is further in the future than dedup.aheadSeconds allows"
                    : "is older than the dedup window (dedup.windowSeconds)"))
        case .failed(let message):
            self = .deadLetter(Rejection(.applyFailed, detail: "Redis refused this record: \(message)"))
        }
    }
}
