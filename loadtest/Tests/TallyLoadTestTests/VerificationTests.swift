import Testing
import TallyCore
@testable import TallyLoadTest

/// The verification, driven with simulated fleet outputs: a faithful fleet
/// passes, and each kind of lost, doubled or wrong effect fails it.
@Suite struct VerificationTests {
    let plan: LoadPlan = {
        var profile = LoadProfile(runId: "v", messages: 2_000)
        profile.duplicateFraction = 0.2
        profile.invalidFraction = 0.05
        profile.conflictFraction = 0.05
        profile.alertFraction = 0.1
        profile.destinations = 5
        return LoadPlan(profile: profile, alerts: AlertPolicy(defaultThreshold: ExactDecimal(500)))
    }()

    /// What a correct fleet emits; `conflictWins` decides each pair.
    func faithful(conflictWins: (Int) -> Bool = { $0 % 2 == 0 }, skip: (Int) -> Bool = { _ in false }) -> (Observations, ExactOracle) {
        var seen = Observations(slots: plan.messageCount)
        var totals = ExactOracle()
        for slot in 0..<plan.messageCount {
            switch plan.kind(at: slot) {
            case .fresh:
                if skip(slot) { continue }
                let wins = plan.conflict(of: slot) != nil && conflictWins(slot)
                let record = wins ? plan.conflictingRecord(of: slot) : plan.record(at: slot)
                seen.notification(messageId: record.recordId, body: notification(record, slot: slot), atNanos: 10, plan: plan)
                if plan.alerts(record) { seen.alert(messageId: record.recordId, plan: plan) }
                totals.add(record)
                if plan.conflict(of: slot) != nil {
                    let loser = wins ? plan.record(at: slot) : plan.conflictingRecord(of: slot)
                    seen.deadLetter(body: plan.body(of: loser, slot: slot), reason: "conflict", field: "recordId", plan: plan)
                }
            case .invalid(let kind):
                seen.deadLetter(body: plan.message(at: slot).body, reason: kind.expectedReason, field: kind.expectedField, plan: plan)
            case .duplicate, .conflict:
                break
            }
        }
        return (seen, totals)
    }

    func notification(_ record: PlannedRecord, slot: Int) -> [UInt8] {
        Array("{\"record\":".utf8) + plan.body(of: record, slot: slot) + Array(",\"summary\":{}}".utf8)
    }

    @Test func aFaithfulFleetPasses() {
        let (seen, totals) = faithful()
        let verdict = Verification.verify(plan: plan, observations: seen, totals: totals)
        #expect(verdict.passed, "\(verdict.checks.filter { !$0.passed }) \(verdict.findings)")
        #expect(verdict.checks.count == 8)
    }

    @Test func aLostRecordFails() {
        let lost = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh && plan.conflict(of: $0) == nil }!
        let (seen, totals) = faithful(skip: { $0 == lost })
        let verdict = Verification.verify(plan: plan, observations: seen, totals: totals)
        #expect(!verdict.passed)
        #expect(verdict.checks.first { $0.name.hasPrefix("one notification") }?.passed == false)
        #expect(verdict.findings.contains { $0.contains("v-\(lost)") })
    }

    @Test func aDoubleApplyShowsInTheTotals() {
        let (seen, totals) = faithful()
        var doubled = totals
        let once = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh && plan.conflict(of: $0) == nil }!
        doubled.add(plan.record(at: once))
        let verdict = Verification.verify(plan: plan, observations: seen, totals: doubled)
        #expect(!verdict.passed)
        #expect(verdict.checks.first { $0.name.hasPrefix("aggregator totals") }?.passed == false)
    }

    @Test func aSecondNotificationWithAnotherBodyFails() {
        var (seen, totals) = faithful()
        let slot = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh }!
        seen.notification(messageId: "v-\(slot)", body: Array("{\"other\":1}".utf8), atNanos: 20, plan: plan)
        let verdict = Verification.verify(plan: plan, observations: seen, totals: totals)
        #expect(!verdict.passed)
        // An identical second copy is allowed (outputs are at least once).
        (seen, totals) = faithful()
        let record = plan.record(at: slot)
        seen.notification(messageId: record.recordId, body: notification(record, slot: slot), atNanos: 20, plan: plan)
        #expect(Verification.verify(plan: plan, observations: seen, totals: totals).passed)
    }

    /// The report's mean notification size counts each record's first copy
    /// once: a redelivered copy is not a second output of the fleet.
    @Test func notificationBytesCountFirstCopiesOnly() {
        var (seen, _) = faithful()
        let sizes = (0..<plan.messageCount).filter { plan.kind(at: $0) == .fresh }.map { slot in
            let record = plan.conflict(of: slot) != nil && slot % 2 == 0 ? plan.conflictingRecord(of: slot) : plan.record(at: slot)
            return notification(record, slot: slot).count
        }
        #expect(seen.notificationBytes == sizes.reduce(0, +))
        #expect(seen.meanNotificationBytes == Double(sizes.reduce(0, +)) / Double(sizes.count))
        #expect(Observations(slots: 1).meanNotificationBytes == nil)
        let slot = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh && plan.conflict(of: $0) == nil }!
        let before = seen.notificationBytes
        seen.notification(messageId: "v-\(slot)", body: notification(plan.record(at: slot), slot: slot), atNanos: 20, plan: plan)
        #expect(seen.notificationBytes == before)
    }

    @Test func aMissingOrExtraAlertFails() {
        var (seen, totals) = faithful()
        let quiet = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh && plan.conflict(of: $0) == nil && !plan.alerts(plan.record(at: $0)) }!
        seen.alert(messageId: "v-\(quiet)", plan: plan)
        #expect(!Verification.verify(plan: plan, observations: seen, totals: totals).passed)
        // A policy the fleet does not use: the oracle expects other alerts.
        (seen, totals) = faithful()
        var strict = plan.profile
        strict.runId = "v"
        let otherPlan = LoadPlan(profile: strict, alerts: AlertPolicy(defaultThreshold: ExactDecimal(50)))
        #expect(!Verification.verify(plan: otherPlan, observations: seen, totals: nil).passed)
    }

    @Test func aWrongReasonOrAMissingDeadLetterFails() {
        var seen = Observations(slots: plan.messageCount)
        let bad = (0..<plan.messageCount).first { if case .invalid = plan.kind(at: $0) { true } else { false } }!
        seen.deadLetter(body: plan.message(at: bad).body, reason: "too-large", field: nil, plan: plan)
        #expect(seen.wrongReasons == 1)
        let verdict = Verification.verify(plan: plan, observations: seen, totals: nil)
        #expect(verdict.checks.first { $0.name.hasPrefix("every invalid") }?.passed == false)
    }

    @Test func bothVersionsOfAConflictAppliedFails() {
        var (seen, totals) = faithful(conflictWins: { _ in false })
        // A conflict that was not caught: no dead letter for one pair.
        let pair = (0..<plan.messageCount).first { plan.kind(at: $0) == .fresh && plan.conflict(of: $0) != nil }!
        var fresh = Observations(slots: plan.messageCount)
        for slot in 0..<plan.messageCount where plan.kind(at: slot) == .fresh {
            let record = plan.record(at: slot)
            fresh.notification(messageId: record.recordId, body: notification(record, slot: slot), atNanos: 10, plan: plan)
            if plan.alerts(record) { fresh.alert(messageId: record.recordId, plan: plan) }
            if let c = plan.conflict(of: slot), slot != pair {
                fresh.deadLetter(body: plan.message(at: c).body, reason: "conflict", field: "recordId", plan: plan)
            }
        }
        for slot in 0..<plan.messageCount { if case .invalid(let k) = plan.kind(at: slot) { fresh.deadLetter(body: plan.message(at: slot).body, reason: k.expectedReason, field: k.expectedField, plan: plan) } }
        seen = fresh
        let verdict = Verification.verify(plan: plan, observations: seen, totals: totals)
        #expect(verdict.checks.first { $0.name.hasPrefix("every conflict") }?.passed == false)
    }

    @Test func unknownOutputsFail() {
        var (seen, totals) = faithful()
        seen.notification(messageId: "someone-else-1", body: [], atNanos: 1, plan: plan)
        seen.deadLetter(body: Array("not ours".utf8), reason: "malformed-json", field: nil, plan: plan)
        let verdict = Verification.verify(plan: plan, observations: seen, totals: totals)
        #expect(!verdict.passed)
        #expect(seen.unexpectedNotifications == 1 && seen.unexpectedDeadLetters == 1)
    }

    @Test func aggregatorAnswersParseExactly() throws {
        let body = Array("""
            {"groups":[{"destinationId":"a","count":2,"totals":[{"unit":"EUR","positive":"0.1","negative":"0.20","net":"-0.1"}]}]}
            """.utf8)
        let parsed = try AggregatorTotals.parse(body)
        var expected = ExactOracle()
        expected.add(PlannedRecord(recordId: "1", time: "", destinationId: "a", positive: true, value: try ExactDecimalText(parsing: "0.1"), unit: "EUR", reference: "r"))
        expected.add(PlannedRecord(recordId: "2", time: "", destinationId: "a", positive: false, value: try ExactDecimalText(parsing: "0.2"), unit: "EUR", reference: "r"))
        #expect(parsed.differences(from: expected).isEmpty)
        #expect(parsed == expected)
        #expect(throws: LoadTestError.self) { try AggregatorTotals.parse(Array("{\"groups\":[{\"count\":1}]}".utf8)) }
    }
}
