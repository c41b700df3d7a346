import Foundation
import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyWorker
import Testing

/// Invariants 1, 3, 4, 5: a mixed stream of valid records, producer
/// duplicates, conflicts and every kind of bad input through two real
/// worker processes.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct MixedStreamTests {
    @Test func mixedStreamGivesOneNotificationPerValidRecordAndExactSummaries() throws {
        var environment = TestEnvironment("mixed", batchSize: 50)
        defer { environment.cleanUp() }
        let kWhThreshold = try ExactDecimal.parse("5")
        var settings = environment.configuration
        settings.alerts.perUnit = ["kWh": kWhThreshold]
        environment = environment.with(settings)
        try environment.declareTopology()
        let notifications = try OutputTap(environment, exchange: settings.topology.notificationsExchange)
        let alerts = try OutputTap(environment, exchange: settings.topology.alertsExchange)
        let dead = try OutputTap(deadLettersOf: environment)

        let prefix = environment.runId
        var valid = RecordStream.valid(count: 300, prefix: prefix, seed: 42)
        // Around the thresholds: strictly greater alerts, equal does not.
        valid.append(RecordStream.body(id: "\(prefix)-eq", destination: "acct-1", value: "\"10000\""))
        valid.append(RecordStream.body(id: "\(prefix)-gt", destination: "acct-1", value: "\"10000.0001\""))
        valid.append(RecordStream.body(id: "\(prefix)-kwh-eq", destination: "acct-1", value: "5.000", unit: "kWh"))
        valid.append(RecordStream.body(id: "\(prefix)-kwh-gt", destination: "acct-1", value: "5.001", unit: "kWh"))
        // 32 significant digits, as a JSON number: kept exactly.
        valid.append(RecordStream.body(id: "\(prefix)-long", destination: "acct-6", value: "1234567890123456.7890123456789012", unit: "USD"))
        let oracle = try Oracle(valid)

        let workers = try [WorkerProcess(environment, name: "a"), WorkerProcess(environment, name: "b")]
        for worker in workers { try worker.waitUntilConsuming() }
        try environment.publish(valid)
        try notifications.collect(atLeast: valid.count)

        // Then the noise: duplicates (byte-identical and re-formatted), conflicts, bad input.
        var noise: [[UInt8]] = Array(valid.prefix(40))
        noise.append(RecordStream.body(id: "\(prefix)-gt", destination: "acct-1", value: "10000.00010"))
        var expectedDead: [(body: [UInt8], reason: String, field: String?)] = []
        for index in 0..<10 {
            let conflict = RecordStream.body(id: "\(prefix)-\(index)", destination: "acct-6", value: "\"0.5\"", reference: "other")
            expectedDead.append((conflict, "conflict", "recordId"))
        }
        let bad: [(String, String, String?)] = [
            ("not json", "malformed-json", nil),
            ("{\"recordId\":", "malformed-json", nil),
            ("[1,2,3]", "invalid-shape", nil),
            ("{}", "invalid-field", "recordId"),
            (Self.without("time", prefix: prefix), "invalid-field", "time"),
            (String(decoding: RecordStream.body(id: "\(prefix)-neg", destination: "acct-1", value: "\"-5\""), as: UTF8.self), "invalid-field", "value"),
            (String(decoding: RecordStream.body(id: "\(prefix)-nan", destination: "acct-1", value: "\"NaN\""), as: UTF8.self), "invalid-field", "value"),
            (String(decoding: RecordStream.body(id: "\(prefix)-t", time: "2026-03-01 12:00", destination: "acct-1", value: "1"), as: UTF8.self), "invalid-field", "time"),
            (String(decoding: RecordStream.body(id: "\(prefix)-ty", destination: "acct-1", type: "credit", value: "1"), as: UTF8.self), "invalid-field", "type"),
            (String(decoding: RecordStream.body(id: "\(prefix)-u", destination: "acct-1", value: "1", unit: ""), as: UTF8.self), "invalid-field", "unit"),
            (String(decoding: RecordStream.body(id: "\(prefix)-nl", destination: "acct\n1", value: "1"), as: UTF8.self), "invalid-field", "destinationId"),
            ("{\"recordId\":\"\(prefix)-big\",\"pad\":\"" + String(repeating: "x", count: 70_000) + "\"}", "too-large", nil),
        ]
        for (text, reason, field) in bad { expectedDead.append((Array(text.utf8), reason, field)) }
        var invalidUTF8 = Array("{\"recordId\":\"".utf8)
        invalidUTF8 += [0xC3, 0x28]
        invalidUTF8 += Array("\"}".utf8)
        expectedDead.append((invalidUTF8, "malformed-json", nil))
        noise += expectedDead.map(\.body)
        try environment.publish(noise)

        try dead.collect(atLeast: expectedDead.count)
        for worker in workers { worker.signal(SIGTERM) }
        for worker in workers { #expect(try worker.waitForExit() == 0, "graceful stop exits 0:\n\(worker.log)") }
        try notifications.collect()
        try alerts.collect()
        try dead.collect()
        #expect(try environment.workQueueDepth() == 0)

        #expect(notifications.messages.count == valid.count, "exactly one notification per valid record")
        try FleetChecks.notificationsConsistent(notifications.messages, oracle: oracle)
        try FleetChecks.effectsExactlyOnce(environment, oracle: oracle)

        let policy = settings.alerts
        #expect(Set(alerts.messages.compactMap(\.messageId)) == oracle.alerts(policy))
        #expect(alerts.messages.count == oracle.alerts(policy).count)
        #expect(oracle.alerts(policy).contains("\(prefix)-gt") && !oracle.alerts(policy).contains("\(prefix)-eq"))
        #expect(oracle.alerts(policy).contains("\(prefix)-kwh-gt") && !oracle.alerts(policy).contains("\(prefix)-kwh-eq"))
        for alert in alerts.messages {
            let json = try JSONParser.parse(alert.text)
            let record = try #require(oracle.records[alert.messageId ?? ""])
            #expect(json["threshold"] == .string(policy.threshold(for: record.unit).description))
        }

        #expect(dead.messages.count == expectedDead.count, "every bad message dead-lettered once")
        for expected in expectedDead {
            // A body over the stored limit is dead-lettered truncated, with its size.
            let stored = Array(expected.body.prefix(DeadLetterHeaders.maxStoredBodyBytes))
            let letter = dead.messages.first { $0.body == stored }
            if expected.body.count > stored.count {
                #expect(letter?.headers[DeadLetterHeaders.originalBytes]?.integer == Int64(expected.body.count))
            }
            #expect(letter?.headers[DeadLetterHeaders.reason]?.string == expected.reason, "reason of \(String(decoding: expected.body.prefix(60), as: UTF8.self))")
            #expect(letter?.headers[DeadLetterHeaders.field]?.string == expected.field)
            #expect(letter?.headers[DeadLetterHeaders.detail]?.string?.isEmpty == false)
        }
    }

    private static func without(_ field: String, prefix: String) -> String {
        let text = String(decoding: RecordStream.body(id: "\(prefix)-nofield", destination: "acct-1", value: "1"), as: UTF8.self)
        let json = try! JSONParser.parse(text)
        guard case .object(let members) = json else { return text }
        var out = "{"
        for member in members where member.key != field {
            if out.count > 1 { out += "," }
            out += JSONWriter.quoted(member.key) + ":"
            if case .string(let value) = member.value { out += JSONWriter.quoted(value) } else if case .number(let raw) = member.value { out += raw }
        }
        return out + "}"
    }
}
