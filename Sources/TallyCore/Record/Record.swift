/// A validated standardized record: the unit of work of the whole fleet.
///
/// Only ``RecordValidator`` makes these, so every `Record` in the program has
/// passed every rule of the public contract (DESIGN.md, "Validation").
public struct Record: Sendable, Equatable {
    public let recordId: String
    /// The instant, for ordering and queries.
    public let time: RFC3339Timestamp
    /// The time exactly as the producer wrote it, echoed in outputs so the
    /// producer's offset is kept.
    public let timeText: String
    public let sourceId: String
    public let destinationId: String
    public let type: RecordType
    /// Never negative: the sign lives in ``type``.
    public let value: ExactDecimal
    public let unit: String
    public let reference: String

    public init(
        recordId: String, time: RFC3339Timestamp, timeText: String, sourceId: String,
        destinationId: String, type: RecordType, value: ExactDecimal, unit: String, reference: String
    ) {
        self.recordId = recordId
        self.time = time
        self.timeText = timeText
        self.sourceId = sourceId
        self.destinationId = destinationId
        self.type = type
        self.value = value
        self.unit = unit
        self.reference = reference
    }

    /// The record as the fleet echoes it (notifications, alerts, the log):
    /// fixed field order, the value always as an exact decimal string.
    public var canonicalJSON: String {
        var out = "{\"recordId\":"
        out.reserveCapacity(160 + recordId.utf8.count + destinationId.utf8.count + reference.utf8.count)
        JSONWriter.appendQuoted(recordId, to: &out)
        out += ",\"time\":"
        JSONWriter.appendQuoted(timeText, to: &out)
        out += ",\"sourceId\":"
        JSONWriter.appendQuoted(sourceId, to: &out)
        out += ",\"destinationId\":"
        JSONWriter.appendQuoted(destinationId, to: &out)
        out += ",\"type\":\""
        out += type.rawValue
        out += "\",\"value\":\""
        out += value.description
        out += "\",\"unit\":"
        JSONWriter.appendQuoted(unit, to: &out)
        out += ",\"reference\":"
        JSONWriter.appendQuoted(reference, to: &out)
        out += "}"
        return out
    }
}

/// Whether a record adds to or takes from its destination's balance.
public enum RecordType: String, Sendable, CaseIterable {
    case positive
    case negative
}
