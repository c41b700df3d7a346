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
        switch text.utf8.first {
        case UInt8(ascii: "R"):
            self = .rendered(String(text.dropFirst()))
        case UInt8(ascii: "S"):
            let body = text.utf8.dropFirst()
            guard let newline = body.firstIndex(of: 0x0A) else { throw StoredSummaryError("stored outcome has no summary") }
            let thresholdText = Substring(body[..<newline])
            var threshold: ExactDecimal?
            if !thresholdText.isEmpty {
                do { threshold = try ExactDecimal.parse(thresholdText) } catch {
                    throw StoredSummaryError("stored alert threshold is not a decimal: \(thresholdText)")
                }
            }
            let afterThreshold = body[body.index(after: newline)...]
            guard let recordEnd = afterThreshold.firstIndex(of: 0x0A) else {
                throw StoredSummaryError("stored outcome has no record")
            }
            let summary = afterThreshold[afterThreshold.index(after: recordEnd)...]
            self = .previous(
                recordJSON: String(Substring(afterThreshold[..<recordEnd])),
                summaryJSON: try StoredSummaryJSON.render(summary), alertThreshold: threshold)
        default:
            throw StoredSummaryError("unknown stored outcome \(text.prefix(24))")
        }
    }

    /// The outputs to publish for `record`, the record this was stored for
    /// (`fingerprint` is the record's, kept for the forget).
    public func outputs(for record: Record, fingerprint: RecordFingerprint? = nil) -> RecordOutputs {
        switch self {
        case .rendered(let text):
            var outputs = RecordOutputs(recordId: record.recordId, destinationId: record.destinationId, storedOutcome: text)
            outputs.fingerprint = fingerprint
            return outputs
        case .previous(let canonicalJSON, let summaryJSON, let threshold):
            return RecordOutputs(
                recordId: record.recordId, destinationId: record.destinationId,
                notification: OutputComposer.notificationPrefix(record, canonicalJSON: canonicalJSON) + summaryJSON
                    + OutputComposer.notificationSuffix,
                alert: threshold.map { OutputComposer.alert(canonicalJSON: canonicalJSON, threshold: $0) },
                fingerprint: fingerprint)
        }
    }
}
