import TallyAMQPClient
import TallyBroker
import TallyWorker

/// The load test's own queues, bound to the fleet's output exchanges: a
/// copy of every notification, alert and dead letter, so the run counts
/// them without taking anything from the real downstream queues. They
/// expire on their own if a run is killed before it deletes them.
struct OutputQueues: Sendable {
    let notifications: String
    let alerts: String
    let dead: String

    init(runId: String) {
        notifications = "tally.loadtest.\(runId).notifications"
        alerts = "tally.loadtest.\(runId).alerts"
        dead = "tally.loadtest.\(runId).dead"
    }

    var all: [String] { [notifications, alerts, dead] }

    func declare(on connection: AMQPConnection, topology: Topology, withAlertsAndDead: Bool) throws(AMQPError) {
        let arguments: [(String, AMQPFieldValue)] = [("x-expires", .integer(30 * 60 * 1_000))]
        try connection.declareQueue(notifications, arguments: arguments)
        try connection.bindQueue(notifications, exchange: topology.notificationsExchange, routingKey: "#")
        guard withAlertsAndDead else { return }
        try connection.declareQueue(alerts, arguments: arguments)
        try connection.bindQueue(alerts, exchange: topology.alertsExchange, routingKey: "#")
        try connection.declareQueue(dead, arguments: arguments)
        try connection.bindQueue(dead, exchange: topology.deadExchange, routingKey: "#")
    }

    func delete(on connection: AMQPConnection) {
        for queue in all { try? connection.deleteQueue(queue) }
    }
}
