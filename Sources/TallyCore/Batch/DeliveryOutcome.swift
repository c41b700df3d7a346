/// What the worker decided for one delivery of a batch.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Applied now, or applied earlier but not confirmed downstream (a
    /// redelivery after a crash): publish these outputs, then forget them.
    case publish(RecordOutputs)
    /// A producer duplicate whose outputs were already confirmed: nothing to send.
    case duplicate
    /// Bad input or a conflict: to `records.dead` with the reason.
    case deadLetter(Rejection)
    /// This record failed for a reason that may pass (e.g. a Redis error
    /// reply for it alone): requeue it, let the delivery limit catch poison.
    case requeue(reason: String)
}
