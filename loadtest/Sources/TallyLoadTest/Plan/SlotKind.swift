/// What the message published at one position (slot) of a run is.
public enum SlotKind: Sendable, Equatable {
    /// A valid record published for the first time; its recordId names this slot.
    case fresh
    /// The fresh record of `slot` published again, byte for byte.
    case duplicate(of: Int)
    /// The recordId of `slot` with a different value: whichever of the two
    /// versions a worker applies first wins, the other is a `conflict`.
    case conflict(of: Int)
    /// Bad input, dead-lettered with the kind's reason.
    case invalid(InvalidKind)
}

/// The fields of a generated record, kept exact for the oracle.
public struct PlannedRecord: Sendable, Equatable {
    public let recordId: String
    public let time: String
    public let destinationId: String
    public let positive: Bool
    public let value: ExactDecimalText
    public let unit: String
    public let reference: String
}

/// One message to publish.
public struct PlannedMessage: Sendable {
    public let slot: Int
    public let kind: SlotKind
    /// The AMQP message_id: the recordId (for bad input, the slot's id).
    public let messageId: String
    public let body: [UInt8]
}
