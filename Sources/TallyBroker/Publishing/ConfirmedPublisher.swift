import TallyAMQPClient
import TallyCore

/// A channel in publisher-confirm mode: every publish is numbered, and
/// ``flush(timeoutMilliseconds:)`` waits until the broker has answered each
/// one. The one place confirms are waited for — by the worker before it
/// acks a batch, by every producer (`tally publish`, imports, the vendor
/// poller, dead-letter replay), by the broker-only relay and the tests.
///
/// With a `window`, at most that many publishes are unanswered at once:
/// what a well-behaved producer does. Not `Sendable`: confined to its
/// caller's thread, like the connection.
public final class ConfirmedPublisher {
    public let connection: AMQPConnection
    private var confirms = ConfirmTracker()
    private let window: Int
    /// Publishes the broker acked, since this publisher was made.
    public private(set) var confirmed = 0
    /// Publishes the broker refused (nacked), since this publisher was made.
    public private(set) var refused = 0

    /// Opens a connection of its own.
    public convenience init(endpoint: AMQPEndpoint, window: Int = 1_000) throws(AMQPError) {
        try self.init(connection: AMQPConnection(endpoint), window: window)
    }

    /// Puts `connection`'s channel in confirm mode.
    public init(connection: AMQPConnection, window: Int = .max) throws(AMQPError) {
        self.connection = connection
        self.window = window
        try connection.enableConfirms()
    }

    /// Publishes; returns the sequence number the broker's confirm will name.
    @discardableResult
    public func publish(_ message: AMQPOutgoing, body: [UInt8]) throws(AMQPError) -> UInt64 {
        try waitForWindow()
        try connection.publish(message, body: body)
        return confirms.published()
    }

    /// Publishes a text body without copying it into an array first (the
    /// worker's notifications).
    @discardableResult
    public func publish(_ message: AMQPOutgoing, text: String) throws(AMQPError) -> UInt64 {
        try waitForWindow()
        try connection.publish(message, text: text)
        return confirms.published()
    }

    /// Waits until the broker answered every publish so far, at most
    /// `timeoutMilliseconds` in all; returns the sequence numbers it refused
    /// (nacked) since the last flush.
    /// - Throws: `.timeout` when answers are still missing at the deadline.
    @discardableResult
    public func flush(timeoutMilliseconds: Int = 30_000) throws(AMQPError) -> [UInt64] {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(timeoutMilliseconds))
        while !confirms.isSettled {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else {
                throw AMQPError(.timeout, "\(confirms.outstanding.count) publishes unconfirmed after \(timeoutMilliseconds) ms")
            }
            // Short waits, so the deadline is kept even while confirms trickle in.
            _ = try settleOne(timeoutMilliseconds: min(100, Int(left / .milliseconds(1)) + 1))
        }
        let nacked = confirms.nacked
        confirms.clearNacks()
        return nacked
    }

    private func waitForWindow() throws(AMQPError) {
        while confirms.outstanding.count >= window {
            guard try settleOne(timeoutMilliseconds: 10_000) else {
                throw AMQPError(.timeout, "no publisher confirm within 10000 ms")
            }
        }
    }

    /// Applies the next confirm, if one comes within the timeout.
    private func settleOne(timeoutMilliseconds: Int) throws(AMQPError) -> Bool {
        guard let confirm = try connection.nextConfirm(timeoutMilliseconds: timeoutMilliseconds) else { return false }
        let before = (confirms.outstanding.count, confirms.nacked.count)
        confirms.received(confirm.isAck ? .ack : .nack, deliveryTag: confirm.deliveryTag, multiple: confirm.multiple)
        let newlyRefused = confirms.nacked.count - before.1
        refused += newlyRefused
        confirmed += before.0 - confirms.outstanding.count - newlyRefused
        return true
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
