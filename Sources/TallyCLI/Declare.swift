import ArgumentParser
import TallyAMQPClient
import TallyWorker

struct Declare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Declare the exchanges and queues of the contract (idempotent).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let settings = try await connection.load()
        let amqp = try AMQPConnection(settings.broker)
        try settings.topology.declare(on: amqp)
        let topology = settings.topology
        print("declared: exchanges \(topology.recordsExchange), \(topology.notificationsExchange), \(topology.alertsExchange), \(topology.reportsExchange), \(topology.deadExchange); quorum queues \(topology.workQueue) (delivery limit \(topology.deliveryLimit)) and \(topology.deadQueue)")
    }
}
