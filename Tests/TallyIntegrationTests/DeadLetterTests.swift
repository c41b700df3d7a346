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
    /// A record that fails in Redis every time (here: its destination's
    /// summary key holds the wrong type) is requeued until the broker's
    /// delivery limit dead-letters it; the healthy records of its batches
    /// are applied and published meanwhile.
    @Test func poisonMessageEndsInDeadLettersAfterTheDeliveryLimitAndSparesItsBatch() throws {
        let environment = TestEnvironment("poison", batchSize: 50)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let dead = try OutputTap(deadLettersOf: environment)
        let redis = try environment.redis()
        _ = try redis.command(RedisCommand("SET", environment.layout.destinationSummary("poisoned"), "not a hash"))

        let healthy = RecordStream.valid(count: 40, prefix: environment.runId, seed: 17)
        let poison = RecordStream.body(id: "\(environment.runId)-poison", destination: "poisoned", value: "1")
        var stream = healthy
        stream.insert(poison, at: 20)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try environment.publish(stream)

        try dead.collect(atLeast: 1)
        try notifications.collect(atLeast: healthy.count)
        let letter = try #require(dead.messages.first)
        #expect(letter.body == poison)
        #expect(DeadLetterHeaders.describe(letter.headers).reason == "delivery_limit")
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(worker.log.contains("requeued after a Redis error"))
        // No partial effect of the failing record: the Function reads every
        // key it will write before writing any.
        let poisonReference = environment.layout.referenceSummary("poisoned", reference: "inv-1")
        #expect(try redis.command(RedisCommand("EXISTS", poisonReference)) == .integer(0), "half-applied poison record")
        let outcome = try FaultReport.count(environment, oracle: try Oracle(healthy), notifications: notifications.messages)
        FaultReport.record("poison record (dead-lettered after the delivery limit)", records: stream.count, faults: 1, outcome)
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
}
