import Foundation
import Testing
import TallyWorker

/// Fault scenario 1: workers SIGKILLed again and again over one stream — at
/// random moments, right after Redis applied a batch (before its outputs
/// were published), and right after the broker confirmed them (before the
/// input was acked).
@Suite(.serialized, .timeLimit(.minutes(20)))
struct RepeatedKillFaultTests {
    @Test func workersKilledRepeatedlyLoseAndDoubleNothing() throws {
        let records = 5_000 * FaultReport.scale
        let wantedKills = max(6, 2 * FaultReport.scale)
        let environment = TestEnvironment("kills", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let stream = RecordStream.valid(count: records, prefix: environment.runId, seed: 101)
        let oracle = try Oracle(stream)
        try environment.publish(stream)

        var kills = 0
        var killsAt: [String: Int] = [:]
        while kills < wantedKills {
            let point = ["random", "after-apply", "after-confirm"][kills % 3]
            var hooks: [String: String] = [:]
            if point != "random" {
                hooks = ["TALLY_FAULT_PAUSE": point, "TALLY_FAULT_PAUSE_EVERY": "2", "TALLY_FAULT_PAUSE_MS": "10000"]
            }
            let victim = try WorkerProcess(environment, name: "victim-\(kills)", extraEnvironment: hooks)
            if point == "random" {
                let before = try environment.appliedCount()
                try waitUntil("progress before a random kill") { try environment.appliedCount() >= before + 150 }
                usleep(UInt32.random(in: 0..<30_000))
            } else {
                try waitUntil("the worker to pause \(point)") { victim.pauses >= 1 }
            }
            victim.crash()
            kills += 1
            killsAt[point, default: 0] += 1
        }
        // The kills landed mid-stream, or this proves nothing.
        #expect(try environment.appliedCount() < records, "applied after the last kill")

        let survivor = try WorkerProcess(environment, name: "survivor")
        try waitUntil("every record applied and notified", timeout: .seconds(600)) {
            try notifications.collect()
            return Set(notifications.messages.compactMap(\.messageId)).count >= records
        }
        survivor.signal(SIGTERM)
        #expect(try survivor.waitForExit() == 0)
        try notifications.collect()
        #expect(try environment.workQueueDepth() == 0)

        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record(
            "worker SIGKILL (\(killsAt["random"] ?? 0) random, \(killsAt["after-apply"] ?? 0) after apply, \(killsAt["after-confirm"] ?? 0) after confirm)",
            records: records, faults: kills, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
