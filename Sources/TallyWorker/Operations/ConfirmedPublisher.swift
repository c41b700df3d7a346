import TallyAMQP
import TallyCore

/// Publishes messages with publisher confirms and a bounded number in
/// flight: what a well-behaved producer does (`tally publish`, the tests,
/// the benchmark). Not `Sendable`: confined to its caller's thread.
public final class ConfirmedPublisher {
    private let connection: AMQPConnection
    private var confirms = ConfirmTracker()
    private let window: Int
    public private(set) var confirmed = 0
    public private(set) var refused = 0

    public init(endpoint: AMQPEndpoint, window: Int = 1_000) throws(AMQPError) {
        self.connection = try AMQPConnection(endpoint)
        self.window = window
        try connection.enableConfirms()
    }

    public var amqp: AMQPConnection { connection }

    /// Publishes; returns the sequence number the broker's confirm will name.
    @discardableResult
    public func publish(_ message: AMQPOutgoing, body: [UInt8]) throws(AMQPError) -> UInt64 {
        while confirms.outstanding.count >= window { try settleOne(timeoutMilliseconds: 10_000) }
        try connection.publish(message, body: body)
        return confirms.published()
    }

    /// Waits until the broker answered every publish so far; returns the
    /// sequence numbers it refused (nacked) since the last flush.
    @discardableResult
    public func flush(timeoutMilliseconds: Int = 30_000) throws(AMQPError) -> [UInt64] {
        while !confirms.isSettled { try settleOne(timeoutMilliseconds: timeoutMilliseconds) }
        let nacked = confirms.nacked
        refused += nacked.count
        confirms.clearNacks()
        return nacked
    }

    private func settleOne(timeoutMilliseconds: Int) throws(AMQPError) {
        guard let confirm = try connection.nextConfirm(timeoutMilliseconds: timeoutMilliseconds) else {
            throw AMQPError(.timeout, "no publisher confirm within \(timeoutMilliseconds) ms")
        }
        let before = confirms.outstanding.count
        confirms.received(confirm.isAck ? .ack : .nack, deliveryTag: confirm.deliveryTag, multiple: confirm.multiple)
        confirmed += before - confirms.outstanding.count
    }

    /// The routing key and message id a producer would use for a body: its
    /// sourceId and recordId when it is a valid record.
    public static func envelope(for body: [UInt8], exchange: String, limits: RecordLimits = RecordLimits()) -> AMQPOutgoing {
        if case .success(let record) = RecordValidator(limits: limits).validate(body) {
            return AMQPOutgoing(exchange: exchange, routingKey: record.sourceId, messageId: record.recordId)
        }
        return AMQPOutgoing(exchange: exchange, routingKey: "unparsed")
    }
}
