/// The eight fields of the record contract, named as on the wire.
public enum RecordField: String, Sendable, CaseIterable {
    case recordId, time, sourceId, destinationId, type, value, unit, reference
}
