import TallyAMQPClient
import TallyWorker

/// A queue bound to an output exchange, as a downstream service binds one,
/// collecting everything the fleet sends there.
final class OutputTap {
    struct Message {
        let body: [UInt8]
        let messageId: String?
        let routingKey: String
        let headers: [String: AMQPFieldValue]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private var connection: AMQPConnection
    private let endpoint: AMQPEndpoint
    private let queue: String
    private(set) var messages: [Message] = []

    /// `quorum`: a quorum queue, which keeps what it holds when a node of
    /// a cluster dies (a classic queue lives on one node).
    init(_ environment: TestEnvironment, exchange: String, quorum: Bool = false) throws {
        endpoint = environment.configuration.broker
        connection = try AMQPConnection(environment.configuration.broker)
        try environment.configuration.topology.declare(on: connection)
        queue = "\(exchange).tap"
        try connection.declareQueue(queue, arguments: quorum ? [("x-queue-type", .string("quorum"))] : [])
        try connection.bindQueue(queue, exchange: exchange, routingKey: "#")
    }

    /// The dead-letter queue itself (it is part of the topology).
    init(deadLettersOf environment: TestEnvironment) throws {
        endpoint = environment.configuration.broker
        connection = try AMQPConnection(environment.configuration.broker)
        try environment.configuration.topology.declare(on: connection)
        queue = environment.configuration.topology.deadQueue
    }

    /// Takes whatever is queued now, or stops once `limit` messages are held.
    @discardableResult
    func collect(upTo limit: Int = .max) throws -> Int {
        var taken = 0
        while messages.count < limit, let delivery = try connection.get(queue) {
            messages.append(Message(body: delivery.body, messageId: delivery.messageId, routingKey: delivery.routingKey, headers: delivery.headers))
            try connection.ack(delivery.deliveryTag, multiple: false)
            taken += 1
        }
        return taken
    }

    /// Collects until at least `count` messages arrived.
    func collect(atLeast count: Int, timeout: Duration = .seconds(90)) throws {
        try waitUntil("\(count) messages on \(queue) (have \(messages.count))", timeout: timeout) {
            try collect(upTo: count)
            return messages.count >= count
        }
    }

    /// Like `collect()`, but rides out a broker restart: on a connection
    /// error it reconnects (the queue is durable) and reports nothing new.
    @discardableResult
    func collectReconnecting() -> Int {
        do {
            return try collect()
        } catch {
            if let fresh = try? AMQPConnection(endpoint) { connection = fresh }
            return 0
        }
    }

    deinit {
        if queue.hasSuffix(".tap") { try? connection.deleteQueue(queue) }
    }
}
