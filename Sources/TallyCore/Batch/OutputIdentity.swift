/// Identifies a record's outputs: its stored outcome lives under its
/// destination and recordId. Compared and hashed by UTF-8 bytes, as Redis
/// keys them — Swift's `==` on `String` would merge canonically equivalent
/// ids (NFC and NFD "é"), which are two records to Redis and the broker.
struct OutputIdentity: Hashable {
    private let recordId: String
    private let destinationId: String

    init(_ outputs: RecordOutputs) {
        recordId = outputs.recordId
        destinationId = outputs.destinationId
    }

    init(_ record: Record) {
        recordId = record.recordId
        destinationId = record.destinationId
    }

    static func == (a: OutputIdentity, b: OutputIdentity) -> Bool {
        a.recordId.hasSameBytes(as: b.recordId) && a.destinationId.hasSameBytes(as: b.destinationId)
    }

    func hash(into hasher: inout Hasher) {
        recordId.hashBytes(into: &hasher)
        destinationId.hashBytes(into: &hasher)
    }
}
