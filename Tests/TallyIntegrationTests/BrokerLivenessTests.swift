import Foundation
import Testing
import TallyAMQPClient
import TallyWorker

/// A broker that goes quiet or cancels the consumer: the worker notices
/// and reconnects instead of waiting forever.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct BrokerLivenessTests {
    /// Deleting `records.work` under a running worker: the broker cancels
    /// its consumer (basic.cancel, which it sends only to clients that
    /// announce consumer_cancel_notify); the worker reconnects, declares the
    /// queue again and processes what is published next.
    @Test func aDeletedWorkQueueCancelsTheConsumerAndTheWorkerReconnects() throws {
        let environment = TestEnvironment("cancel")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()

        try AMQPConnection(environment.configuration.broker).deleteQueue(environment.configuration.topology.workQueue)
        try waitUntil("the worker to see the cancel and reconnect", timeout: .seconds(30)) {
            worker.log.contains("cancelled the consumer") && worker.log.contains("reconnected; consuming again")
        }
        let records = RecordStream.valid(count: 20, prefix: environment.runId, seed: 3)
        try environment.publish(records)
        try notifications.collect(atLeast: records.count, timeout: .seconds(30))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(records))
    }

    /// `amqp.failoverHosts`: with `amqp.host:amqp.port` unreachable (a
    /// port nothing listens on, as a dead node's), the worker connects to
    /// the next broker of the list and works there.
    @Test func aWorkerReachesTheBrokerThroughItsFailoverHosts() throws {
        let environment = TestEnvironment("failover-hosts")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let dead = try AggregatorProcess.freePort()
        let live = environment.configuration.broker.port
        let worker = try WorkerProcess(
            environment, arguments: ["--amqp-port", "\(dead)", "--amqp-failover-hosts", "127.0.0.1:\(live)"])
        try worker.waitUntilConsuming()
        #expect(worker.log.contains("broker-node=127.0.0.1:\(live)"), "the worker says which node it reached")
        let records = RecordStream.valid(count: 10, prefix: environment.runId, seed: 5)
        try environment.publish(records)
        try notifications.collect(atLeast: records.count, timeout: .seconds(30))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(records))
    }

    /// The broker frozen (SIGSTOP: its sockets stay open, nothing answers)
    /// looks like a half-open connection. With 1 s heartbeats the idle
    /// worker notices within seconds, is not ready meanwhile, and resumes
    /// once the broker does.
    @Test func aSilentBrokerIsNoticedThroughMissedHeartbeats() throws {
        let environment = TestEnvironment("heartbeat")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let worker = try WorkerProcess(environment, arguments: ["--amqp-heartbeat-seconds", "1"])
        try worker.waitUntilConsuming()
        try waitUntil("the worker ready") { try worker.get("/ready").status == 200 }

        let pidFile = environment.stateDirectory.appendingPathComponent("rabbitmq/rabbitmq.pid")
        let text = try String(contentsOf: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let broker = try #require(Int32(text), "no RabbitMQ pid in \(pidFile.path)")
        kill(broker, SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(broker, SIGCONT) } }
        try waitUntil("the worker to miss the broker's heartbeats", timeout: .seconds(20)) {
            worker.log.contains("heartbeat timeout")
        }
        // The worker logs the timeout, then tears its connections down and
        // says so to /ready: wait for that rather than race it.
        try waitUntil("the worker not ready while the broker is silent", timeout: .seconds(10)) {
            try worker.get("/ready").status == 503
        }
        kill(broker, SIGCONT)
        resumed = true

        try waitUntil("the worker consuming again", timeout: .seconds(60)) { worker.log.contains("reconnected; consuming again") }
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 20, prefix: environment.runId, seed: 4)
        try environment.publish(records)
        try notifications.collect(atLeast: records.count, timeout: .seconds(30))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }
}
