import Foundation
import TallyCore
import TallyWorker
import Testing

/// Fault scenario 6: every record published ten times, shuffled, consumed
/// concurrently by two workers.
@Suite(.serialized, .timeLimit(.minutes(20)))
struct DuplicateFloodFaultTests {
    @Test func everyRecordTenTimesOnTwoWorkersIsAppliedOnce() throws {
        let records = 1_000 * FaultReport.scale
        let environment = TestEnvironment("flood", batchSize: 100)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let stream = RecordStream.valid(count: records, prefix: environment.runId, seed: 606)
        let oracle = try Oracle(stream)
        var random = SplitMix64(seed: 66)
        let flood = (Array(repeating: stream, count: 10).flatMap { $0 }).shuffled(using: &random)

        let workers = try [WorkerProcess(environment, name: "a"), WorkerProcess(environment, name: "b")]
        for worker in workers { try worker.waitUntilConsuming() }
        try environment.publish(flood)
        try waitUntil("the flood drained", timeout: .seconds(600)) {
            try notifications.collect()
            return try environment.workQueueDepth() == 0
                && Set(notifications.messages.compactMap(\.messageId)).count >= records
        }
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(try worker.waitForExit() == 0) }
        try notifications.collect()

        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("duplicate flood: each record 10×, 2 workers", records: records, faults: flood.count - records, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
        // Identical re-publishes are allowed (a duplicate can race its
        // original's unconfirmed outcome); they must be byte-identical.
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
