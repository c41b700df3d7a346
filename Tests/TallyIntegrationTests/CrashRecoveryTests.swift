import Foundation
import TallyCore
import TallyRedisClient
import TallyStore
import TallyWorker
import Testing

/// Invariants 1–3 and 6 under real failures: a worker SIGKILLed mid-stream,
/// Redis killed and restarted, the Function library lost.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct CrashRecoveryTests {
    @Test func sigkilledWorkerRestartedLosesAndDuplicatesNothing() throws {
        let environment = TestEnvironment("kill", batchSize: 50)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 10_000, prefix: environment.runId, seed: 7)
        let oracle = try Oracle(records)
        try environment.publish(records)

        // Kill the worker three times while it is busy; each restart resumes.
        var doneAtKill: [Int] = []
        for threshold in [1_000, 3_000, 6_000] {
            let worker = try WorkerProcess(environment, name: "victim-\(doneAtKill.count)")
            try notifications.collect(atLeast: threshold)
            worker.crash()
            try notifications.collect()
            doneAtKill.append(Set(notifications.messages.compactMap(\.messageId)).count)
        }
        // The kills must land mid-stream, or this test proves nothing.
        #expect(doneAtKill[0] < records.count, "records done when the first worker was killed: \(doneAtKill)")
        let survivor = try WorkerProcess(environment, name: "survivor")
        try survivor.waitUntilConsuming()
        try waitUntil("every record's notification", timeout: .seconds(120)) {
            try notifications.collect()
            return Set(notifications.messages.compactMap(\.messageId)).count >= records.count
        }
        survivor.signal(SIGTERM)
        #expect(try survivor.waitForExit() == 0)
        try notifications.collect()
        #expect(try environment.workQueueDepth() == 0)

        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }

    @Test func redisKilledAndRestartedMidStreamLosesNothing() throws {
        let environment = TestEnvironment("redis-restart", batchSize: 50)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 5_000, prefix: environment.runId, seed: 11)
        let oracle = try Oracle(records)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try environment.publish(records)
        try notifications.collect(atLeast: 300)

        let appliedBeforeFault = try environment.appliedCount()
        try LocalServers(environment).killAndRestartRedis()
        // The fault must land mid-stream (a batch of margin), or this proves nothing.
        #expect(appliedBeforeFault < records.count - 500, "records applied when Redis was killed: \(appliedBeforeFault)")

        try waitUntil("every record's notification after the Redis restart", timeout: .seconds(120)) {
            try notifications.collect()
            return Set(notifications.messages.compactMap(\.messageId)).count >= records.count
        }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(worker.log.contains("stopped consuming"), "the worker noticed Redis was gone")
        #expect(worker.log.contains("reconnected"), "and resumed on its own")
        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("Redis SIGKILL and restart (AOF always)", records: records.count, faults: 1, outcome)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }

    @Test func brokerRestartedMidStreamLosesNothingAndTheWorkerReconnects() throws {
        let environment = TestEnvironment("broker-restart", batchSize: 50)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 20_000, prefix: environment.runId, seed: 23)
        let oracle = try Oracle(records)
        try environment.publish(records)  // all confirmed before the restart
        let worker = try WorkerProcess(environment)
        try notifications.collect(atLeast: 300)

        let appliedBeforeFault = try environment.appliedCount()
        try LocalServers(environment).restartRabbitMQ()
        // The restart must land mid-stream (a batch of margin), or this proves nothing.
        #expect(appliedBeforeFault < records.count - 500, "records applied when the broker stopped: \(appliedBeforeFault)")

        try waitUntil("every record's notification after the broker restart", timeout: .seconds(120)) {
            notifications.collectReconnecting()
            return Set(notifications.messages.compactMap(\.messageId)).count >= records.count
        }
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(worker.log.contains("stopped consuming"), "the worker noticed the broker was gone")
        #expect(worker.log.contains("reconnected"), "and resumed on its own")
        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("RabbitMQ stopped and restarted", records: records.count, faults: 1, outcome)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }

    /// On the Function's route: where Redis has the tally module, the
    /// worker would not call the Function at all.
    @Test func lostFunctionLibraryIsReloaded() throws {
        let environment = TestEnvironment("reload")
        defer { environment.cleanUp() }
        try RedisModuleSwitch(environment: environment).withoutModule { try lostFunctionLibraryIsReloaded(environment) }
    }

    private func lostFunctionLibraryIsReloaded(_ environment: TestEnvironment) throws {
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 200, prefix: environment.runId, seed: 3)
        let oracle = try Oracle(records)
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try environment.publish(Array(records.prefix(100)))
        try notifications.collect(atLeast: 100)

        // As after a Redis that restarted without its data.
        let redis = try environment.redis()
        #expect(try redis.command(RedisCommand("FUNCTION", "DELETE", TallyFunctionLibrary.name)) == .status("OK"))
        try environment.publish(Array(records.dropFirst(100)))
        try notifications.collect(atLeast: 200)

        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("Function library deleted under a running worker", records: records.count, faults: 1, outcome)
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
