import TallyCore

/// Builds the standard record an adapter publishes, and checks it against
/// the fleet's own validation before it leaves: a row that would only be
/// dead-lettered by the worker (an id over the length limit, say) is
/// rejected here instead, with its line number.
public enum AdapterRecord {
    public static func make(
        recordId: String, time: ProducerTimestamp, namespace: AdapterNamespace, key: String, type: RecordType,
        value: ExactDecimal, unit: String, reference: String, limits: RecordLimits = RecordLimits()
    ) throws(RowRejection) -> Record {
        let draft = Record(
            recordId: recordId, time: time.instant, timeText: time.text, sourceId: namespace.sourceId,
            destinationId: namespace.destination(key), type: type, value: value, unit: unit, reference: reference)
        switch validated(draft, limits: limits) {
        case .success(let validated): return validated.record
        case .failure(let rejection): throw RowRejection("the record would be refused by the fleet: \(rejection)")
        }
    }

    /// Renders `draft` canonically and runs it through the fleet's own
    /// ``RecordValidator``: whatever an adapter publishes is a record the
    /// workers accept, and the same input always gives the same bytes.
    public static func validated(_ draft: Record, limits: RecordLimits) -> Result<(record: Record, body: [UInt8]), Rejection> {
        let body = Array(draft.canonicalJSON.utf8)
        return RecordValidator(limits: limits).validate(body).map { ($0, body) }
    }

    /// A non-negative exact decimal from a column, or a rejection naming it.
    public static func amount(_ text: String, column: String) throws(RowRejection) -> ExactDecimal {
        let value: ExactDecimal
        do {
            value = try ExactDecimal.parse(text)
        } catch {
            throw RowRejection("\(column): \"\(text)\" is not a decimal number (\(error))")
        }
        guard !value.isNegative else { throw RowRejection("\(column): \"\(text)\" is negative") }
        return value
    }

    /// A foreign key used inside recordIds and destinations: no blanks and
    /// no `:` (which separates the parts of the ids built from it).
    public static func key(_ text: String, column: String) throws(RowRejection) -> String {
        guard !text.isEmpty else { throw RowRejection("\(column): empty") }
        guard !text.contains(where: { $0.isWhitespace || $0 == ":" }) else {
            throw RowRejection("\(column): \"\(text)\" contains a blank or ':'")
        }
        return text
    }
}
