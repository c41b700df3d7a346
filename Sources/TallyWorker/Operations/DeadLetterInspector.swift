import TallyAMQP
import TallyCore

/// Lists and replays `records.dead` (the `tally dead …` commands).
public final class DeadLetterInspector {
    public struct Letter: Sendable {
        public let reason: String
        public let detail: String
        public let body: [UInt8]
        public let replays: Int64
    }

    /// Replays beyond this are refused, so a message that can never pass
    /// cannot loop between the queues.
    public static let maxReplays: Int64 = 3

    /// Reads and acks dead letters. Publishing happens on another
    /// connection: a confirm arriving amid a `basic.get` would confuse
    /// rabbitmq-c's reading of the message.
    private let reader: AMQPConnection
    private let publisher: ConfirmedPublisher
    private let topology: Topology

    public init(endpoint: AMQPEndpoint, topology: Topology) throws(AMQPError) {
        self.reader = try AMQPConnection(endpoint)
        self.publisher = try ConfirmedPublisher(endpoint: endpoint)
        self.topology = topology
    }

    /// Reads up to `limit` dead letters and puts them back, unchanged.
    public func list(limit: Int) throws(AMQPError) -> [Letter] {
        let connection = reader
        var letters: [Letter] = []
        var lastTag: UInt64?
        while letters.count < limit, let delivery = try connection.get(topology.deadQueue) {
            letters.append(Self.letter(delivery))
            lastTag = delivery.deliveryTag
        }
        if let lastTag { try connection.nack(lastTag, multiple: true, requeue: true) }
        return letters
    }

    public struct ReplayReport: Sendable {
        public var replayed = 0
        /// At the replay limit: left in `records.dead`.
        public var skipped = 0
        /// Refused by the broker (nacked): left in `records.dead`.
        public var refused = 0
    }

    /// Sends up to `limit` dead letters back to the records exchange, each
    /// acked off `records.dead` only after its re-publish was confirmed; one
    /// the broker refused goes back to `records.dead`.
    public func replay(limit: Int) throws(AMQPError) -> ReplayReport {
        let connection = reader
        var report = ReplayReport()
        var keep: [UInt64] = []
        var sent: [(sequence: UInt64, deliveryTag: UInt64)] = []
        // Only the letters queued now: a replayed message that fails again
        // comes back behind them and must wait for the next replay.
        let queued = try connection.queueStatus(topology.deadQueue).messages
        let budget = min(limit, queued)
        while sent.count + report.skipped < budget, let delivery = try connection.get(topology.deadQueue) {
            let letter = Self.letter(delivery)
            if letter.replays >= Self.maxReplays {
                keep.append(delivery.deliveryTag)
                report.skipped += 1
                continue
            }
            var message = ConfirmedPublisher.envelope(for: delivery.body, exchange: topology.recordsExchange)
            message.headers = [(DeadLetterHeaders.replayCount, .integer(letter.replays + 1))]
            sent.append((try publisher.publish(message, body: delivery.body), delivery.deliveryTag))
        }
        let refused = Set(try publisher.flush())
        for (sequence, tag) in sent {
            if refused.contains(sequence) {
                keep.append(tag)
                report.refused += 1
            } else {
                try connection.ack(tag, multiple: false)
                report.replayed += 1
            }
        }
        for tag in keep { try connection.reject(tag, requeue: true) }
        return report
    }

    static func letter(_ delivery: AMQPDelivery) -> Letter {
        let (reason, detail) = DeadLetterHeaders.describe(delivery.headers)
        return Letter(
            reason: reason, detail: detail, body: delivery.body,
            replays: delivery.headers[DeadLetterHeaders.replayCount]?.integer ?? 0)
    }
}
