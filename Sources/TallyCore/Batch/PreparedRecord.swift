/// A valid record with what the Function needs besides its fields: the
/// fingerprint and the alert threshold it crosses, if any. The texts sent
/// (keys, canonical JSON, notification tail) are written straight into the
/// command by the store module's `ApplyCall`.
public struct PreparedRecord: Sendable, Equatable {
    public let record: Record
    public let fingerprint: RecordFingerprint
    public let alertThreshold: ExactDecimal?

    public init(_ record: Record, alerts: AlertPolicy) {
        self.record = record
        self.fingerprint = RecordFingerprint(record)
        self.alertThreshold = alerts.thresholdExceeded(by: record)
    }
}
