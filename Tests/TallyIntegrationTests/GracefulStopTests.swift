import Foundation
import Testing
import TallyWorker

/// Invariant 7: SIGTERM finishes the batch in flight, acks it and exits 0.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct GracefulStopTests {
    @Test func sigtermDuringLoadExitsZeroAndLeavesTheRestQueued() throws {
        let environment = TestEnvironment("sigterm", batchSize: 20)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let records = RecordStream.valid(count: 2_000, prefix: environment.runId, seed: 5)
        let oracle = try Oracle(records)
        try environment.publish(records)

        let worker = try WorkerProcess(environment)
        try notifications.collect(atLeast: 100)
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0, "exit status after SIGTERM:\n\(worker.log)")
        #expect(worker.log.contains("graceful shutdown"))
        try notifications.collect()
        let processed = Set(notifications.messages.compactMap(\.messageId)).count
        // Nothing in flight was abandoned: every notification sent was for a
        // record now acked, and the rest still wait in the queue.
        try waitUntil("unacked deliveries to return to the queue") {
            try environment.workQueueDepth() == records.count - processed
        }
        #expect(notifications.messages.count == processed, "no notification published twice")

        let finisher = try WorkerProcess(environment, name: "finisher")
        try finisher.waitUntilConsuming()
        try notifications.collect(atLeast: records.count)
        finisher.signal(SIGTERM)
        #expect(try finisher.waitForExit() == 0)
        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record("SIGTERM under load (batch in flight completed)", records: records.count, faults: 1, outcome)
        #expect(notifications.messages.count == records.count, "nothing re-published: no redelivery was needed")
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
