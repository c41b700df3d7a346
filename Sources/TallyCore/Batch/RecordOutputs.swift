/// What one applied record sends downstream: its notification and, above
/// the threshold, its alert. The bytes come from the Redis Function's stored
/// outcome, so a re-publish after a crash is identical (same message_id,
/// same body).
public struct RecordOutputs: Sendable, Equatable {
    public let recordId: String
    public let destinationId: String
    public let notification: String
    public let alert: String?
    /// The record's fingerprint, when known: the forget keeps it as the
    /// record's claim (layout 4) without reading the claim first.
    public var fingerprint: RecordFingerprint?

    public init(recordId: String, destinationId: String, notification: String, alert: String?, fingerprint: RecordFingerprint? = nil) {
        self.recordId = recordId
        self.destinationId = destinationId
        self.notification = notification
        self.alert = alert
        self.fingerprint = fingerprint
    }

    /// The Function stores `notification` and `alert` joined by a newline,
    /// which neither can contain (JSON escapes it inside strings).
    public init(recordId: String, destinationId: String, storedOutcome: String) {
        let utf8 = storedOutcome.utf8
        if let newline = utf8.firstIndex(of: 0x0A) {
            let alert = String(storedOutcome[storedOutcome.index(after: newline)...])
            self.init(
                recordId: recordId, destinationId: destinationId,
                notification: String(storedOutcome[..<newline]), alert: alert.isEmpty ? nil : alert)
        } else {
            self.init(recordId: recordId, destinationId: destinationId, notification: storedOutcome, alert: nil)
        }
    }
}
