import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyWorker
import Testing

/// Fault scenario 7: random and mutated bodies. The worker never crashes or
/// stalls; every valid one is applied, every other one lands in
/// `records.dead` with a reason.
@Suite(.serialized, .timeLimit(.minutes(20)))
struct HostileInputFaultTests {
    @Test func hostileBodiesAreAllDeadLetteredWithAReasonAndTheWorkerSurvives() throws {
        let environment = TestEnvironment("hostile", batchSize: 200)
        defer { environment.cleanUp() }
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: environment.configuration.topology.notificationsExchange)
        let dead = try OutputTap(deadLettersOf: environment)
        let bodies = HostileBodies.make(count: 10_000 * FaultReport.scale, prefix: environment.runId, seed: 707)

        // The oracle: what the validator accepts (its rules are unit tested),
        // first occurrence of each recordId.
        var valid: [[UInt8]] = []
        var seen = Set<String>()
        for body in bodies {
            if case .success(let record) = RecordValidator().validate(body), seen.insert(record.recordId).inserted {
                valid.append(body)
            }
        }
        let oracle = try Oracle(valid)
        let expectedDead = bodies.count - valid.count

        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        try environment.publish(bodies)
        try waitUntil("every hostile body handled", timeout: .seconds(600)) {
            try notifications.collect()
            try dead.collect()
            return dead.messages.count >= expectedDead && Set(notifications.messages.compactMap(\.messageId)).count >= valid.count
        }
        #expect(worker.isRunning, "the worker survived")
        worker.signal(SIGTERM)
        #expect(try worker.waitForExit() == 0)
        try dead.collect()

        #expect(dead.messages.count == expectedDead)
        let reasons = dead.messages.map { DeadLetterHeaders.describe($0.headers).reason }
        #expect(!reasons.contains("unknown"), "every dead letter says why")
        var byReason: [String: Int] = [:]
        for reason in reasons { byReason[reason, default: 0] += 1 }
        // The 1 MiB body, unread; its dead letter keeps the headers and the
        // first 4 KiB, not the megabyte.
        let huge = dead.messages.first { $0.headers[DeadLetterHeaders.originalBytes]?.integer == Int64(HostileBodies.hugeBodyBytes) }
        #expect(huge.map { DeadLetterHeaders.describe($0.headers).reason } == "too-large", "the 1 MiB body, unread")
        #expect(huge?.body.count == DeadLetterHeaders.maxStoredBodyBytes)
        #expect(dead.messages.allSatisfy { $0.body.count <= 65_536 }, "no dead letter is larger than a valid body")

        let outcome = try FaultReport.count(environment, oracle: oracle, notifications: notifications.messages)
        FaultReport.record(
            "hostile input (\(expectedDead) dead-lettered: \(byReason.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))",
            records: bodies.count, faults: expectedDead, outcome)
        #expect(outcome.lost == 0 && outcome.doubled == 0, "\(outcome)")
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)
    }
}
