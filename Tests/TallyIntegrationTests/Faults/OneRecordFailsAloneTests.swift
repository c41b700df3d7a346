import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import Testing

/// A record fails alone (docs/contract.md, invariant 7): whatever refuses one
/// record after validation dead-letters that record with its reason, and
/// every batchmate keeps its effect, its one notification and its ack.
/// (A record Redis refuses: `DeadLetterTests`.)
@Suite(.serialized, .timeLimit(.minutes(4)))
struct OneRecordFailsAloneTests {
    /// The broker refuses one record's notification: a queue bound to its
    /// routing key holds nothing and rejects what would overflow it, so
    /// RabbitMQ nacks that publish. The record is dead-lettered
    /// `publish-refused`; the 99 others are delivered once and acked. Once
    /// the refusing queue is gone, replaying the dead letter publishes the
    /// stored bytes, and nothing is applied twice.
    @Test func aNotificationTheBrokerRefusesDeadLettersItsRecordAloneAndAReplayDeliversIt() throws {
        let environment = TestEnvironment("refused", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let topology = environment.configuration.topology
        let notifications = try OutputTap(environment, exchange: topology.notificationsExchange)
        // Dead letters are read in place (the replay below needs them queued).
        let inspector = try DeadLetterInspector(endpoint: environment.configuration.broker, topology: topology)
        let refusedDestination = "\(environment.runId)-refused"
        let refuser = "\(environment.runId).refuser"
        let admin = try AMQPConnection(environment.configuration.broker)
        try admin.declareQueue(refuser, arguments: [("x-max-length", .integer(0)), ("x-overflow", .string("reject-publish"))])
        try admin.bindQueue(refuser, exchange: topology.notificationsExchange, routingKey: refusedDestination)
        defer { try? admin.deleteQueue(refuser) }

        let healthy = RecordStream.valid(count: 99, prefix: environment.runId, seed: 23)
        let refusedId = "\(environment.runId)-refused-record"
        let refused = RecordStream.body(id: refusedId, destination: refusedDestination, value: "\"7.25\"")
        var stream = healthy
        stream.insert(refused, at: 37)
        try environment.publish(stream)
        let worker = try WorkerProcess(environment)

        try waitUntil("the refused record's dead letter") { try inspector.count() >= 1 }
        try notifications.collect(atLeast: stream.count)
        try notifications.collect()  // and every attempt, all confirmed before the dead letter
        let letters = try inspector.list(limit: 10)
        #expect(letters.count == 1, "only the refused record")
        #expect(letters.first?.body == refused)
        #expect(letters.first?.reason == "publish-refused")
        let healthyOracle = try Oracle(healthy)
        let delivered = notifications.messages.filter { $0.messageId != refusedId }
        #expect(delivered.count == healthy.count, "each batchmate notified once")
        try FleetChecks.notificationsConsistent(delivered, oracle: healthyOracle)
        // Each attempt (the first and one per retry, all refused by the
        // refuser) reached the other queues, the same bytes each time.
        let attempts = notifications.messages.filter { $0.messageId == refusedId }
        let attempted = try #require(attempts.first, "the refused publish reached the other queues")
        #expect(attempts.count == 1 + BatchProtocol.defaultNackRetryDelaysMilliseconds.count)
        #expect(attempts.allSatisfy { $0.body == attempted.body })

        // The cause goes away; the operator replays the dead letter.
        try admin.deleteQueue(refuser)
        let report = try inspector.replay(limit: 10)
        #expect(report.replayed == 1, "\(report)")
        try waitUntil("the replayed record's notification") {
            try notifications.collect()
            return notifications.messages.filter { $0.messageId == refusedId }.count == attempts.count + 1
        }
        let replayed = notifications.messages.filter { $0.messageId == refusedId }
        #expect(replayed.last?.body == attempted.body, "the stored bytes, unchanged")
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(try environment.workQueueDepth() == 0)

        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(stream))
        let outcome = try FaultReport.count(environment, oracle: try Oracle(stream), notifications: notifications.messages)
        FaultReport.record("a notification the broker refuses, in a full batch of 100 (batchmates harmed: 0)", records: stream.count, faults: 1, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
    }

    /// The field limits are the broker's: 255 bytes pass and are published
    /// with that routing key and message id; 256 bytes — ASCII, a 2-byte
    /// character crossing byte 255, or an emoji crossing it — are refused
    /// as `invalid-field` and harm no batchmate.
    @Test func identifiersOf255BytesArePublishedAnd256AreDeadLettered() throws {
        let environment = TestEnvironment("bytes255", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let dead = try OutputTap(deadLettersOf: environment)
        let run = environment.runId
        func pad(_ tail: String, to bytes: Int) -> String {
            let head = "\(run)-"
            return head + String(repeating: "x", count: bytes - head.utf8.count - tail.utf8.count) + tail
        }
        let fits = [pad("a", to: 255), pad("é", to: 255), pad("😀", to: 255)]
        let over = [pad("b", to: 256), pad("é", to: 256), pad("😀", to: 256)]
        #expect(fits.allSatisfy { $0.utf8.count == 255 } && over.allSatisfy { $0.utf8.count == 256 })
        var accepted: [[UInt8]] = []
        var refused: [[UInt8]] = []
        for (index, id) in fits.enumerated() {
            accepted.append(RecordStream.body(id: id, destination: "acct-\(index)", value: "1"))
            accepted.append(RecordStream.body(id: "\(run)-dest-\(index)", destination: id, value: "2"))
        }
        for (index, id) in over.enumerated() {
            refused.append(RecordStream.body(id: id, destination: "acct-\(index)", value: "1"))
            refused.append(RecordStream.body(id: "\(run)-over-\(index)", destination: id, value: "2"))
            refused.append(RecordStream.body(id: "\(run)-unit-\(index)", destination: "acct-\(index)", value: "3", unit: id))
        }
        let batchmates = RecordStream.valid(count: 40, prefix: run, seed: 5)
        try environment.publish(accepted + refused + batchmates)
        let worker = try WorkerProcess(environment)

        try notifications.collect(atLeast: accepted.count + batchmates.count)
        try dead.collect(atLeast: refused.count)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(try environment.workQueueDepth() == 0)
        #expect(Set(dead.messages.map(\.body)) == Set(refused))
        #expect(dead.messages.allSatisfy { DeadLetterHeaders.describe($0.headers).reason == "invalid-field" })
        for id in fits {
            #expect(notifications.messages.contains { $0.messageId == id }, "message id of \(id.utf8.count) bytes")
            #expect(notifications.messages.contains { $0.routingKey == id }, "routing key of \(id.utf8.count) bytes")
        }
        try FleetChecks.effectsExactlyOnce(environment, oracle: try Oracle(accepted + batchmates))
    }
}
