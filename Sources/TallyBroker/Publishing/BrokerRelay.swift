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

    public init(endpoint: AMQPEndpoint, topology: Topology, batchSize: Int = 500, prefetch: Int = 1_000) throws(AMQPError) {
        self.topology = topology
        self.batchSize = batchSize
        let connection = try AMQPConnection(endpoint)
        try topology.declare(on: connection)
        publisher = try ConfirmedPublisher(connection: connection)
        consumer = try AMQPConnection(endpoint)
        try consumer.setPrefetch(prefetch)
        try consumer.consume(topology.workQueue)
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
                        body: delivery.body)
                }
            }
            try publisher.flush()
            try consumer.ack(batch[batch.count - 1].deliveryTag, multiple: true)
            relayed += batch.count
        }
        return relayed
    }
}
