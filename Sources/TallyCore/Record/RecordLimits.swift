/// Bounds that keep hostile input from costing memory or breaking keys.
public struct RecordLimits: Sendable, Equatable {
    /// Bodies above this are dead-lettered as `too-large` without parsing.
    public var maxBodyBytes: Int
    /// Every string field is at most this many UTF-8 bytes.
    public var maxFieldBytes: Int

    /// The most ``maxFieldBytes`` may be: the recordId is the outputs'
    /// `message_id` and the destinationId their routing key, both AMQP short
    /// strings of at most 255 bytes. A record that passes validation must be
    /// publishable, so the limit is the broker's, counted in bytes.
    public static let maxFieldBytesAllowed = 255

    public init(maxBodyBytes: Int = 65_536, maxFieldBytes: Int = RecordLimits.maxFieldBytesAllowed) {
        self.maxBodyBytes = maxBodyBytes
        self.maxFieldBytes = maxFieldBytes
    }
}
