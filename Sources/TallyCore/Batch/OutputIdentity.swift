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
        a.recordId.utf8.elementsEqual(b.recordId.utf8) && a.destinationId.utf8.elementsEqual(b.destinationId.utf8)
    }

    func hash(into hasher: inout Hasher) {
        for text in [recordId, destinationId] {
            hasher.combine(text.utf8.count)
            for byte in text.utf8 { hasher.combine(byte) }
        }
    }
}
