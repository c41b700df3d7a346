import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyWorker
import Testing

/// Poison messages and dead-letter operations.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct DeadLetterTests {
    /// A record Redis refuses (here: its destination's summary key holds the
    /// wrong type) is dead-lettered at once with `apply-failed` and leaves no
    /// partial effect; every record of its batch, before and after it, is
    /// applied, notified once and acked.
    @Test func aRecordRedisRefusesIsDeadLetteredAloneAndSparesItsBatch() throws {
        let environment = TestEnvironment("poison", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let dead = try OutputTap(deadLettersOf: environment)
        let redis = try environment.redis()
        _ = try redis.command(RedisCommand("SET", environment.layout.destinationSummary("poisoned"), "not a hash"))

        let healthy = RecordStream.valid(count: 99, prefix: environment.runId, seed: 17)
        let poison = RecordStream.body(id: "\(environment.runId)-poison", destination: "poisoned", value: "1")
        var stream = healthy
        stream.insert(poison, at: 50)
        // Published before the worker starts, so they arrive as one full batch.
        try environment.publish(stream)
        let worker = try WorkerProcess(environment)

        try dead.collect(atLeast: 1)
        try notifications.collect(atLeast: healthy.count)
        let letter = try #require(dead.messages.first)
        #expect(letter.body == poison)
        #expect(DeadLetterHeaders.describe(letter.headers).reason == "apply-failed")
        #expect(DeadLetterHeaders.describe(letter.headers).detail.contains("WRONGTYPE"))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(try environment.workQueueDepth() == 0, "all 100 acked: none came back to the queue")
        #expect(dead.messages.count == 1, "only the refused record is a dead letter")
        // No partial effect of the failing record: the Function reads every
        // key it will write before writing any.
        let poisonReference = environment.layout.referenceSummary("poisoned", reference: "inv-1")
        #expect(try redis.command(RedisCommand("EXISTS", poisonReference)) == .integer(0), "half-applied poison record")
        let outcome = try FaultReport.count(environment, oracle: try Oracle(healthy), notifications: notifications.messages)
        FaultReport.record("a record Redis refuses, in a full batch of 100 (batchmates harmed: 0)", records: stream.count, faults: 1, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: try Oracle(healthy))
        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(healthy))
    }

    /// `tally dead replay` sends a dead letter back with a replay count, and
    /// refuses once the count reaches the limit, so nothing loops forever.
    @Test func replayStopsAtTheReplayLimit() throws {
        let environment = TestEnvironment("replay")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let bad = (0..<5).map { RecordStream.body(id: "\(environment.runId)-bad-\($0)", destination: "acct-1", value: "\"-1\"") }
        try environment.publish(bad)
        let status = { try AMQPConnection(environment.configuration.broker).queueStatus(environment.configuration.topology.deadQueue).messages }
        try waitUntil("the bad records in records.dead") { try status() == bad.count }

        let inspector = try DeadLetterInspector(endpoint: environment.configuration.broker, topology: environment.configuration.topology)
        for round in 1...Int(DeadLetterInspector.maxReplays) {
            let report = try inspector.replay(limit: 10)
            #expect(report.replayed == bad.count && report.refused == 0, "round \(round): \(report)")
            // The worker dead-letters them again; the replay count travels along.
            try waitUntil("the replayed records back in records.dead (round \(round))") { try status() == bad.count }
        }
        let letters = try inspector.list(limit: 10)
        #expect(Set(letters.map(\.body)) == Set(bad))
        #expect(letters.allSatisfy { $0.reason == "invalid-field" && $0.replays == DeadLetterInspector.maxReplays })
        // `list` put them back (nack, requeue); the count follows shortly.
        try waitUntil("the listed letters back in the queue") { try status() == bad.count }
        let final = try inspector.replay(limit: 10)
        #expect(final.replayed == 0 && final.skipped == bad.count, "messages at the replay limit stay put")
        // Requeued by the replay; the count follows shortly.
        try waitUntil("the refused letters back in the queue") { try status() == bad.count }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
    }

    /// Inspecting never costs a letter: with a delivery limit of 2 on
    /// `records.dead` (RabbitMQ 4 sets 20 on quorum queues by default, and
    /// counts every nack with requeue), ten `list`, `show` and refused
    /// `replay` runs leave every letter queued, in order, with its reason.
    @Test func deadLettersSurviveAnyNumberOfInspections() throws {
        let environment = TestEnvironment("dead-survive")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let topology = environment.configuration.topology
        let servers = LocalServers(environment)
        let policy = "\(environment.runId)-limit"
        let escaped = NSRegularExpression.escapedPattern(for: environment.runId)
        try servers.setQueuePolicy(policy, pattern: "^\(escaped)\\.", definition: #"{"delivery-limit":2}"#)
        defer { try? servers.clearPolicy(policy) }

        // The policy is in force: a message returned three times is gone.
        let admin = try AMQPConnection(environment.configuration.broker)
        let control = "\(environment.runId).control"
        _ = try admin.declareQueue(control, arguments: [("x-queue-type", .string("quorum"))])
        defer { try? admin.deleteQueue(control) }
        let publisher = try environment.publisher()
        try publisher.publish(AMQPOutgoing(exchange: "", routingKey: control), body: Array("probe".utf8))
        #expect(try publisher.flush().isEmpty)
        try waitUntil("the delivery limit to drop the probe") {
            guard let delivery = try admin.get(control) else {
                return try admin.queueStatus(control).messages == 0
            }
            try admin.nack(delivery.deliveryTag, multiple: false, requeue: true)
            return false
        }

        let bodies = (0..<3).map { RecordStream.body(id: "\(environment.runId)-\($0)", destination: "acct-1", value: "\"-1\"") }
        for body in bodies {
            var message = AMQPOutgoing(exchange: topology.deadExchange, routingKey: "dead")
            message.headers = [
                (DeadLetterHeaders.reason, .string("invalid-field")), (DeadLetterHeaders.field, .string("value")),
                (DeadLetterHeaders.detail, .string("is negative")), (DeadLetterHeaders.replayCount, .integer(DeadLetterInspector.maxReplays)),
            ]
            try publisher.publish(message, body: body)
        }
        #expect(try publisher.flush().isEmpty)
        let inspector = try DeadLetterInspector(endpoint: environment.configuration.broker, topology: topology)
        try waitUntil("3 letters queued") { try inspector.count() == 3 }
        for round in 1...10 {
            switch round % 3 {
            case 0: #expect(try inspector.show(position: 2).letter?.body == bodies[1])
            case 1: #expect(try inspector.list(limit: 10).map(\.body) == bodies, "round \(round)")
            default: #expect(try inspector.replay(limit: 10).skipped == 3, "at the replay limit: kept")
            }
            try waitUntil("the letters back after round \(round)") { try inspector.count() == 3 }
        }
        let letters = try inspector.list(limit: 10)
        #expect(letters.map(\.body) == bodies, "all three, in order")
        #expect(letters.allSatisfy { $0.reason == "invalid-field" && $0.detail.contains("is negative") && $0.replays == DeadLetterInspector.maxReplays })
    }
}
