import TallyAMQPClient
import TallyCore

/// The broker-only baseline: consume the work queue, publish one persistent
/// message per delivery with confirms (a batch's publishes gathered into few
/// writes, as the worker sends its outputs), ack with `multiple` — exactly
/// the broker traffic of a worker, with no validation and no Redis. tally's
/// throughput is reported as a ratio to this, measured in the same run,
/// because absolute figures on a shared machine drift.
public final class BrokerRelay {
    private let consumer: AMQPConnection
    private let publisher: ConfirmedPublisher
    private let topology: Topology
    private let batchSize: Int
    /// Each body is relayed padded with spaces (JSON whitespace) to at
    /// least this many bytes: a baseline carrying messages the size of
    /// tally's notifications, which are larger than the records they
    /// answer (0: the bodies as they came).
    private let bodyBytes: Int

    public init(
        endpoint: AMQPEndpoint, topology: Topology, batchSize: Int = 500, prefetch: Int = 1_000, bodyBytes: Int = 0
    ) throws(AMQPError) {
        self.topology = topology
        self.batchSize = batchSize
        self.bodyBytes = bodyBytes
        let connection = try AMQPConnection(endpoint)
        try topology.declare(on: connection)
        publisher = try ConfirmedPublisher(connection: connection)
        consumer = try AMQPConnection(endpoint)
        try consumer.setPrefetch(prefetch)
        try consumer.consume(topology.workQueue)
    }

    private func padded(_ body: [UInt8]) -> [UInt8] {
        guard body.count < bodyBytes else { return body }
        return body + repeatElement(UInt8(ascii: " "), count: bodyBytes - body.count)
    }

    /// Relays batches until `shouldStop` says so; returns messages relayed.
    /// - Throws: the connections' ``AMQPError``s.
    public func run(until shouldStop: () -> Bool) throws -> Int {
        var relayed = 0
        while !shouldStop() {
            guard let first = try consumer.nextDelivery(timeoutMilliseconds: 100) else { continue }
            var batch = [first]
            while batch.count < batchSize, let next = try consumer.nextDelivery(timeoutMilliseconds: 0) {
                batch.append(next)
            }
            try publisher.connection.withBatchedPublishes {
                for delivery in batch {
                    try publisher.publish(
                        AMQPOutgoing(exchange: topology.notificationsExchange, routingKey: delivery.routingKey, messageId: delivery.messageId),
                        body: padded(delivery.body))
                }
            }
            try publisher.flush()
            try consumer.ack(batch[batch.count - 1].deliveryTag, multiple: true)
            relayed += batch.count
        }
        return relayed
    }
}
