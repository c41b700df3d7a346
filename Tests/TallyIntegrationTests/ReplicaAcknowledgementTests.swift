import Foundation
import Testing
import TallyRedisClient

/// `redis.waitReplicas`: no notification goes out, and no delivery is
/// acked, before a Redis replica holds the batch's writes; a replica that
/// stops acknowledging holds the fleet back, visibly, and nothing is lost
/// or doubled when it resumes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ReplicaAcknowledgementTests {
    @Test func outputsWaitUntilAReplicaHoldsTheBatch() throws {
        let environment = TestEnvironment("replica-wait")
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let replica = try RedisServerProcess.replica(of: environment)
        defer { replica.stop() }
        try replica.waitUntilInSync()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let worker = try WorkerProcess(environment, arguments: ["--redis-wait-replicas", "1", "--redis-wait-timeout-ms", "300"])
        try worker.waitUntilConsuming()

        // Acknowledged: when the notifications arrive, the replica already
        // has every record in the log (read at once, no waiting).
        let first = RecordStream.valid(count: 30, prefix: "\(environment.runId)-a", seed: 31)
        try environment.publish(first)
        try notifications.collect(atLeast: first.count, timeout: .seconds(30))
        #expect(try replica.loggedRecords(environment.layout.log) == first.count)

        // A replica that stops acknowledging: the batch is applied on the
        // primary, but held back — no notification, no ack — and the
        // worker says why.
        replica.freeze()
        var frozen = true
        defer { if frozen { replica.thaw() } }
        let second = RecordStream.valid(count: 10, prefix: "\(environment.runId)-b", seed: 32)
        try environment.publish(second)
        try waitUntil("the worker to count a replica wait timeout", timeout: .seconds(30)) {
            (try WorkerObservabilityTests.scrape(worker)["tally_worker_replica_wait_timeouts_total"] ?? 0) >= 1
        }
        #expect(worker.log.contains("Redis replicas are lagging: holding the batch's outputs back"))
        #expect(try environment.appliedCount() == first.count + second.count)
        try notifications.collect()
        #expect(notifications.messages.count == first.count)

        // Resumed: the held-back batch goes out once, from its stored outcomes.
        replica.thaw()
        frozen = false
        try notifications.collect(atLeast: first.count + second.count, timeout: .seconds(60))
        #expect(try replica.loggedRecords(environment.layout.log) == first.count + second.count)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try notifications.collect()
        #expect(notifications.messages.count == first.count + second.count)
        let oracle = try Oracle(first + second)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
    }
}
