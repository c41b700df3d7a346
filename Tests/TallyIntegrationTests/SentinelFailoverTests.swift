import Foundation
import Testing
import TallyRedisClient

/// `redis.sentinels`: a worker finds the Redis primary through a Sentinel
/// and follows a failover without a restart — the old primary answers
/// `READONLY`, the worker reconnects and asks the Sentinel again — with
/// every record's effect and notification exactly once. A primary, a
/// replica and a Sentinel of the test's own (the shared test Redis is never
/// failed over).
@Suite(.serialized, .timeLimit(.minutes(4)))
struct SentinelFailoverTests {
    @Test func aWorkerFollowsASentinelFailoverWithNothingLostOrDoubled() throws {
        let shared = TestEnvironment("sentinel")
        let primary = try RedisServerProcess.primary(shared)
        defer { primary.stop() }
        var settings = shared.configuration
        settings.redis = primary.endpoint
        let environment = shared.with(settings)
        defer { environment.cleanUp() }
        let replica = try RedisServerProcess.replica(of: environment)
        defer { replica.stop() }
        try replica.waitUntilInSync()
        let masterName = "tally-\(environment.runId)"
        let sentinel = try RedisServerProcess.sentinel(environment, monitoring: primary.endpoint, masterName: masterName)
        defer { sentinel.stop() }
        try waitUntil("the Sentinel to know the replica", timeout: .seconds(30)) {
            !((try sentinel.connection().command(RedisCommand("SENTINEL", "replicas", masterName)).elements) ?? []).isEmpty
        }

        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        // The worker knows only the Sentinel (its redis.port is the primary's,
        // and unused); it also waits for a replica, so nothing it published
        // can be missing from the one promoted.
        let worker = try WorkerProcess(
            environment,
            arguments: [
                "--redis-sentinels", "127.0.0.1:\(sentinel.endpoint.port)", "--redis-master-name", masterName,
                "--redis-wait-replicas", "1",
            ])
        try worker.waitUntilConsuming()
        #expect(worker.log.contains("redis-sentinel://127.0.0.1:\(sentinel.endpoint.port)/\(masterName)"))
        let first = RecordStream.valid(count: 20, prefix: "\(environment.runId)-a", seed: 41)
        try environment.publish(first)
        try notifications.collect(atLeast: first.count, timeout: .seconds(30))

        // The failover: the replica promoted, the old primary its replica.
        let ordered = try sentinel.connection().command(RedisCommand("SENTINEL", "FAILOVER", masterName))
        #expect(ordered.errorMessage == nil, "SENTINEL FAILOVER: \(ordered)")
        try waitUntil("the Sentinel to name the replica primary", timeout: .seconds(60)) {
            let address = try sentinel.connection().command(RedisCommand("SENTINEL", "get-master-addr-by-name", masterName))
            return address.elements?.last?.text == "\(replica.endpoint.port)"
        }
        try waitUntil("the old primary to replicate the new one", timeout: .seconds(60)) {
            let info = try primary.connection().command(RedisCommand("INFO", "replication")).text ?? ""
            return info.contains("role:slave") && info.contains("master_link_status:up")
        }

        let second = RecordStream.valid(count: 20, prefix: "\(environment.runId)-b", seed: 42)
        try environment.publish(second)
        try notifications.collect(atLeast: first.count + second.count, timeout: .seconds(90))
        #expect(worker.log.contains("READONLY") || worker.log.contains("reconnected; consuming again"))
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try notifications.collect()
        #expect(notifications.messages.count == first.count + second.count)

        var promoted = settings
        promoted.redis = replica.endpoint
        let oracle = try Oracle(first + second)
        try FleetChecks.effectsExactlyOnce(environment.with(promoted), oracle: oracle)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
    }
}
