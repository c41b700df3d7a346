import ArgumentParser
import TallyAMQPClient
import TallyWorker

struct Tap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bind a queue to an output exchange, as a downstream service would (idempotent).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Exchange, e.g. notifications or alerts.") var exchange: String
    @Argument(help: "Queue to declare and bind.") var queue: String
    @Option(help: "Binding key.") var bindingKey = "#"
    @Flag(help: "Empty the queue first.") var purge = false

    func run() async throws {
        let settings = try await connection.load()
        let amqp = try AMQPConnection(settings.broker)
        try settings.topology.declare(on: amqp)
        try amqp.declareQueue(queue, arguments: [("x-queue-type", .string("quorum"))])
        try amqp.bindQueue(queue, exchange: exchange, routingKey: bindingKey)
        if purge { try amqp.purgeQueue(queue) }
        print("queue \(queue) receives \(exchange) (\(bindingKey))")
    }
}
