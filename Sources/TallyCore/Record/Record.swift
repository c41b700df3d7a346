/// A validated standardized record: the unit of work of the whole fleet.
///
/// Only ``RecordValidator`` makes these, so every `Record` in the program has
/// passed every rule of the public contract (docs/contract.md, "Validation").
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
        var bytes: [UInt8] = []
        bytes.reserveCapacity(160 + recordId.utf8.count + destinationId.utf8.count + reference.utf8.count)
        appendCanonicalJSON(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends ``canonicalJSON``'s bytes to `out`: the worker writes it
    /// straight into the Redis command, without a `String` in between.
    public func appendCanonicalJSON(to out: inout [UInt8]) {
        out.append(contentsOf: #"{"recordId":"#.utf8)
        JSONWriter.appendQuoted(recordId, to: &out)
        out.append(contentsOf: #","time":"#.utf8)
        JSONWriter.appendQuoted(timeText, to: &out)
        out.append(contentsOf: #","sourceId":"#.utf8)
        JSONWriter.appendQuoted(sourceId, to: &out)
        out.append(contentsOf: #","destinationId":"#.utf8)
        JSONWriter.appendQuoted(destinationId, to: &out)
        out.append(contentsOf: #","type":""#.utf8)
        out.append(contentsOf: type.rawValue.utf8)
        out.append(contentsOf: #"","value":""#.utf8)
        out.append(contentsOf: value.description.utf8)
        out.append(contentsOf: #"","unit":"#.utf8)
        JSONWriter.appendQuoted(unit, to: &out)
        out.append(contentsOf: #","reference":"#.utf8)
        JSONWriter.appendQuoted(reference, to: &out)
        out.append(UInt8(ascii: "}"))
    }
}

/// Whether a record adds to or takes from its destination's balance.
public enum RecordType: String, Sendable, CaseIterable {
    case positive
    case negative
}
