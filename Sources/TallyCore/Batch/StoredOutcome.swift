/// What Redis keeps of an applied record until the broker has confirmed its
/// outputs, and answers for it again (applied, or still pending): a
/// redelivery publishes the same bytes as the first delivery.
public enum StoredOutcome: Sendable, Equatable {
    /// The outputs as layout 3's Function rendered them: the notification,
    /// a newline, the alert (empty for none).
    case rendered(String)
    /// What renders them (layout 4): the record's canonical JSON as it was
    /// first applied, the reference summary before it as the JSON of a
    /// notification's `previous`, and the alert threshold it crossed. A
    /// producer duplicate with the same fingerprint may spell the record
    /// differently (`12.5` for `12.50`, another time offset); its outputs
    /// are the first one's, byte for byte.
    case previous(recordJSON: String, summaryJSON: String, alertThreshold: ExactDecimal?)

    /// Parses what layout 4 stores after the 16-hex fingerprint (see
    /// `tally_v4.lua`): `S`, the threshold, a newline, the record's
    /// canonical JSON, a newline, then the reference summary's fields and
    /// values, newline-separated; or `R` and a layout 3 outcome (adopted by
    /// `tally store upgrade`).
    public init(layout4 text: Substring) throws(StoredSummaryError) {
        var text = text
        let parsed = text.withUTF8 { bytes in Result { () throws(StoredSummaryError) in try Self(layout4: bytes) } }
        self = try parsed.get()
    }

    /// The same, from the bytes of the Function's reply: this runs once per
    /// applied record, so no `String` of the whole reply is made first.
    public init(layout4 bytes: UnsafeBufferPointer<UInt8>) throws(StoredSummaryError) {
        func text(_ from: Int, _ to: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self) }
        func newline(after start: Int) -> Int? {
            var index = start
            while index < bytes.count {
                if bytes[index] == 0x0A { return index }
                index += 1
            }
            return nil
        }
        switch bytes.first {
        case UInt8(ascii: "R"):
            self = .rendered(text(1, bytes.count))
        case UInt8(ascii: "S"):
            guard let thresholdEnd = newline(after: 1) else { throw StoredSummaryError("stored outcome has no summary") }
            var threshold: ExactDecimal?
            if thresholdEnd > 1 {
                let thresholdText = Substring(text(1, thresholdEnd))
                do { threshold = try ExactDecimal.parse(thresholdText) } catch {
                    throw StoredSummaryError("stored alert threshold is not a decimal: \(thresholdText)")
                }
            }
            guard let recordEnd = newline(after: thresholdEnd + 1) else { throw StoredSummaryError("stored outcome has no record") }
            self = .previous(
                recordJSON: text(thresholdEnd + 1, recordEnd),
                summaryJSON: try StoredSummaryJSON.render(UnsafeBufferPointer(rebasing: bytes[(recordEnd + 1)...])),
                alertThreshold: threshold)
        default:
            throw StoredSummaryError("unknown stored outcome \(text(0, min(24, bytes.count)))")
        }
    }

    /// The outputs to publish for `record`, the record this was stored for
    /// (`fingerprint` is the record's, kept for the forget).
    public func outputs(for record: Record, fingerprint: RecordFingerprint? = nil) -> RecordOutputs {
        switch self {
        case .rendered(let text):
            return RecordOutputs(
                recordId: record.recordId, destinationId: record.destinationId, storedOutcome: text, fingerprint: fingerprint)
        case .previous(let canonicalJSON, let summaryJSON, let threshold):
            return RecordOutputs(
                recordId: record.recordId, destinationId: record.destinationId,
                notification: OutputComposer.notification(record, canonicalJSON: canonicalJSON, previousJSON: summaryJSON),
                alert: threshold.map { OutputComposer.alert(canonicalJSON: canonicalJSON, threshold: $0) },
                fingerprint: fingerprint)
        }
    }
}
