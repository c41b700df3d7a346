/// What one applied record sends downstream: its notification and, above
/// the threshold, its alert. The bytes come from the Redis Function's stored
/// outcome, so a re-publish after a crash is identical (same message_id,
/// same body).
///
/// A class, not a struct: a batch's bookkeeping hands each record's outputs
/// around several times (its ledger entry, the messages to publish, the
/// outcomes to forget), and a reference is copied with one retain where the
/// struct's five strings took five. Immutable, so it shares like a value.
public final class RecordOutputs: Sendable, Equatable {
    public let recordId: String
    public let destinationId: String
    public let notification: String
    public let alert: String?
    /// The record's fingerprint, when known: the forget keeps it as the
    /// record's claim (layout 4) without reading the claim first.
    public let fingerprint: RecordFingerprint?

    public init(recordId: String, destinationId: String, notification: String, alert: String?, fingerprint: RecordFingerprint? = nil) {
        self.recordId = recordId
        self.destinationId = destinationId
        self.notification = notification
        self.alert = alert
        self.fingerprint = fingerprint
    }

    /// Equal as the values they hold (`String`'s `==`); the ledger tells
    /// records apart by their bytes (``OutputIdentity``).
    public static func == (a: RecordOutputs, b: RecordOutputs) -> Bool {
        a.recordId == b.recordId && a.destinationId == b.destinationId && a.notification == b.notification
            && a.alert == b.alert && a.fingerprint == b.fingerprint
    }

    /// The Function stores `notification` and `alert` joined by a newline,
    /// which neither can contain (JSON escapes it inside strings).
    public convenience init(recordId: String, destinationId: String, storedOutcome: String, fingerprint: RecordFingerprint? = nil) {
        let utf8 = storedOutcome.utf8
        if let newline = utf8.firstIndex(of: 0x0A) {
            let alert = String(storedOutcome[storedOutcome.index(after: newline)...])
            self.init(
                recordId: recordId, destinationId: destinationId,
                notification: String(storedOutcome[..<newline]), alert: alert.isEmpty ? nil : alert, fingerprint: fingerprint)
        } else {
            self.init(recordId: recordId, destinationId: destinationId, notification: storedOutcome, alert: nil, fingerprint: fingerprint)
        }
    }
}
