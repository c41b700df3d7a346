/// What the Redis Function answered for one record.
public enum ApplyResult: Sendable, Equatable {
    /// Applied now; the stored outcome is to be published.
    case applied(storedOutcome: String)
    /// Applied before, outputs not yet confirmed downstream.
    case pending(storedOutcome: String)
    /// Applied before and confirmed: nothing left to do.
    case duplicate
    /// Applied before with a different body.
    case conflict
    /// Redis answered this call with an error; the others are unaffected.
    case failed(String)
}

extension DeliveryOutcome {
    /// Decides what to do with a delivery from what the Function answered.
    ///
    /// A stored outcome that is still pending is re-published only for a
    /// broker redelivery: that is the crash case, where the first attempt may
    /// never have reached the broker (DESIGN.md, invariant 3). A first
    /// delivery that finds one is a producer duplicate racing the original
    /// (earlier in the same batch or on another worker), whose own delivery
    /// publishes it; publishing twice would break "duplicates re-publish nothing".
    public init(_ result: ApplyResult, record: Record, redelivered: Bool) {
        switch result {
        case .applied(let stored):
            self = .publish(RecordOutputs(recordId: record.recordId, destinationId: record.destinationId, storedOutcome: stored))
        case .pending(let stored) where redelivered:
            self = .publish(RecordOutputs(recordId: record.recordId, destinationId: record.destinationId, storedOutcome: stored))
        case .pending, .duplicate:
            self = .duplicate
        case .conflict:
            self = .deadLetter(Rejection(.conflict, field: .recordId, detail: "was processed before with a different body"))
        case .failed(let message):
            self = .requeue(reason: message)
        }
    }
}
