import TallyAMQPClient

/// The broker objects of the public contract (docs/contract.md), declared
/// idempotently by every worker and by `tally declare`.
public struct Topology: Sendable, Equatable {
    /// Topic exchange producers publish records to.
    public var recordsExchange = "records"
    /// Quorum queue the workers consume, bound to `recordsExchange` with `#`.
    public var workQueue = "records.work"
    /// Dead-letter exchange (topic) and its queue, bound with `#`.
    public var deadExchange = "records.dead"
    public var deadQueue = "records.dead"
    /// Topic exchanges for downstream services; routing key = destinationId.
    public var notificationsExchange = "notifications"
    public var alertsExchange = "alerts"
    /// Topic exchange for account reports (`tally report accounts`);
    /// routing key `account.<account>`.
    public var reportsExchange = "reports"
    /// Deliveries after which the broker dead-letters a message that keeps
    /// failing (a poison message). RabbitMQ 3.10 has no default, and it
    /// counts every return to the queue, including those of a worker whose
    /// connection dropped with the message prefetched; 20 leaves room for
    /// restarts while still catching poison quickly.
    public var deliveryLimit = 20

    public init() {}

    /// The work queue's arguments. At-least-once dead lettering needs
    /// `reject-publish` overflow; the queue is unbounded otherwise, so
    /// backpressure reaches producers as nacks, never as silent drops.
    public var workQueueArguments: [(String, AMQPFieldValue)] {
        [
            ("x-queue-type", .string("quorum")),
            ("x-dead-letter-exchange", .string(deadExchange)),
            ("x-dead-letter-strategy", .string("at-least-once")),
            ("x-overflow", .string("reject-publish")),
            ("x-delivery-limit", .integer(Int64(deliveryLimit))),
        ]
    }

    public func declare(on connection: AMQPConnection) throws(AMQPError) {
        try connection.declareExchange(recordsExchange, type: "topic")
        try connection.declareExchange(deadExchange, type: "topic")
        try connection.declareExchange(notificationsExchange, type: "topic")
        try connection.declareExchange(alertsExchange, type: "topic")
        try connection.declareExchange(reportsExchange, type: "topic")
        try connection.declareQueue(deadQueue, arguments: [("x-queue-type", .string("quorum"))])
        try connection.bindQueue(deadQueue, exchange: deadExchange, routingKey: "#")
        try connection.declareQueue(workQueue, arguments: workQueueArguments)
        try connection.bindQueue(workQueue, exchange: recordsExchange, routingKey: "#")
    }
}
