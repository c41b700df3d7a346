import Foundation
import Testing
import TallyRedisClient
import TallyWorker

/// Fault scenario 5: connections cut from the server side while the
/// processes live on — the broker closes every connection, Redis kills every
/// client — and a Redis that stalls (DEBUG SLEEP). The worker backs off,
/// reconnects and resumes; nothing is lost or doubled.
@Suite(.serialized, .timeLimit(.minutes(20)))
struct ConnectionCutFaultTests {
    @Test func serverSideCutsAndASlowRedisLoseAndDoubleNothing() throws {
        let records = 6_000 * FaultReport.scale
        let environment = TestEnvironment("cuts", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let stream = RecordStream.valid(count: records, prefix: environment.runId, seed: 505)
        let oracle = try Oracle(stream)
        // Paced: a batch of 100, then 150 ms before its ack (the debug
        // build's fault hook), so the stream lasts seconds and every fault
        // lands while records remain — unpaced, a worker takes the whole
        // stream in well under a second, before the second fault. The pause
        // also puts a confirmed, unacked batch under many of the cuts.
        let worker = try WorkerProcess(
            environment,
            extraEnvironment: ["TALLY_FAULT_PAUSE": "after-confirm", "TALLY_FAULT_PAUSE_EVERY": "1", "TALLY_FAULT_PAUSE_MS": "150"])
        let servers = LocalServers(environment)

        try environment.publish(stream)
        let rounds = 3 * FaultReport.scale
        let step = records / (rounds + 1)
        var faults = 0
        for round in 0..<rounds {
            // Only the log length is polled here (cheap), so the faults keep
            // pace with the worker; notifications are collected at the end.
            let target = (round + 1) * step
            try waitUntil("progress before fault \(round)", timeout: .seconds(120)) {
                try environment.appliedCount() >= target
            }
            #expect(try environment.appliedCount() < records, "fault \(round) lands mid-stream")
            switch round % 3 {
            case 0:
                try servers.closeAllBrokerConnections()
            case 1:
                _ = try environment.redis().command(RedisCommand("CLIENT", "KILL", "TYPE", "normal"))
            default:
                // Redis stops answering for 2 s: the worker waits (its
                // command timeout is longer), nothing is acked meanwhile.
                _ = try environment.redis().command(RedisCommand("DEBUG", "SLEEP", "2"))
            }
            faults += 1
        }
        try waitUntil("every record after the cuts", timeout: .seconds(300)) {
            notifications.collectReconnecting()
            return Set(notifications.messages.compactMap(\.messageId)).count >= records
        }
        #expect(worker.isRunning, "the worker survived every cut")
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        #expect(worker.log.contains("reconnected"), "it reconnected on its own")

        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("connections cut (close_all_connections, CLIENT KILL) and DEBUG SLEEP", records: records, faults: faults, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
