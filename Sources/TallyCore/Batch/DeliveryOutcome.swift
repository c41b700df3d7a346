/// What the worker decided for one delivery of a batch.
public enum DeliveryOutcome: Sendable, Equatable {
    /// Applied now, or applied earlier but not confirmed downstream (a
    /// redelivery after a crash): publish these outputs, then forget them.
    case publish(RecordOutputs)
    /// A producer duplicate whose outputs were already confirmed: nothing to send.
    case duplicate
    /// Bad input, a conflict, or a failure of this record alone (its apply
    /// or its publish refused): to `records.dead` with the reason, while its
    /// batchmates go on (docs/contract.md, "One record fails alone").
    case deadLetter(Rejection)
}
