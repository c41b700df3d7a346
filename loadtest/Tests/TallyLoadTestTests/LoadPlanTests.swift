import Testing
import TallyCore
@testable import TallyLoadTest

@Suite struct LoadPlanTests {
    func profile(_ messages: Int = 5_000) -> LoadProfile {
        var profile = LoadProfile(runId: "run1", messages: messages)
        profile.duplicateFraction = 0.3
        profile.invalidFraction = 0.05
        profile.conflictFraction = 0.05
        profile.destinations = 7
        profile.references = 3
        return profile
    }

    @Test func theSameSeedGivesTheSameMessages() {
        let a = LoadPlan(profile: profile(), alerts: AlertPolicy())
        let b = LoadPlan(profile: profile(), alerts: AlertPolicy())
        for slot in stride(from: 0, to: 5_000, by: 97) {
            #expect(a.message(at: slot).body == b.message(at: slot).body)
            #expect(a.kind(at: slot) == b.kind(at: slot))
        }
        var other = profile()
        other.seed = 7
        let c = LoadPlan(profile: other, alerts: AlertPolicy())
        #expect((0..<200).contains { a.message(at: $0).body != c.message(at: $0).body })
    }

    @Test func countsFollowTheFractionsAndAddUp() {
        let plan = LoadPlan(profile: profile(20_000), alerts: AlertPolicy())
        #expect(plan.freshCount + plan.duplicateCount + plan.conflictCount + plan.invalidCount == 20_000)
        #expect(abs(plan.duplicateCount - 6_000) < 400)
        #expect(abs(plan.invalidCount - 1_000) < 150)
        // Conflicts need an un-derived target; most draws find one.
        #expect(plan.conflictCount > 700 && plan.conflictCount < 1_150)
    }

    @Test func everyMessageOfARecordIsValidAndDerivativesDoNotMix() throws {
        let plan = LoadPlan(profile: profile(), alerts: AlertPolicy())
        var duplicated = Set<Int>(), conflicted = Set<Int>()
        let validator = RecordValidator()
        for slot in 0..<plan.messageCount {
            let message = plan.message(at: slot)
            switch message.kind {
            case .fresh:
                let record = try validator.validate(message.body).get()
                #expect(record.recordId == "run1-\(slot)")
                #expect(record.sourceId == "loadtest-run1")
                #expect(record.value == plan.record(at: slot).value.value)
            case .duplicate(let target):
                #expect(target < slot)
                #expect(message.body == plan.message(at: target).body)
                duplicated.insert(target)
            case .conflict(let target):
                #expect(target < slot)
                #expect(plan.conflict(of: target) == slot)
                let original = try validator.validate(plan.message(at: target).body).get()
                let conflicting = try validator.validate(message.body).get()
                #expect(original.recordId == conflicting.recordId)
                #expect(conflicting.value == original.value + ExactDecimal(1))
                conflicted.insert(target)
            case .invalid(let kind):
                switch validator.validate(message.body) {
                case .success: Issue.record("invalid message \(slot) (\(kind)) validated")
                case .failure(let rejection):
                    #expect(rejection.reason.rawValue == kind.expectedReason)
                    #expect(rejection.field?.rawValue == kind.expectedField)
                }
            }
        }
        #expect(duplicated.isDisjoint(with: conflicted))
        #expect(!duplicated.isEmpty && !conflicted.isEmpty)
    }

    @Test func valuesAlertExactlyAboveTheThreshold() {
        var withAlerts = profile()
        withAlerts.alertFraction = 0.2
        let policy = AlertPolicy(defaultThreshold: ExactDecimal(100), perUnit: ["kWh": ExactDecimal(5)])
        let plan = LoadPlan(profile: withAlerts, alerts: policy)
        var above = 0, onThreshold = 0
        for slot in 0..<plan.messageCount where plan.kind(at: slot) == .fresh {
            let record = plan.record(at: slot)
            let threshold = policy.threshold(for: record.unit)
            #expect(plan.alerts(record) == (threshold < record.value.value))
            if plan.alerts(record) { above += 1 }
            if record.value.value == threshold { onThreshold += 1 }
        }
        #expect(above > 0)
        #expect(onThreshold > 0)
    }

    @Test func slotsAreReadBackOnlyFromThisRunsIds() {
        let plan = LoadPlan(profile: profile(100), alerts: AlertPolicy())
        #expect(plan.slot(forRecordId: "run1-0") == 0)
        #expect(plan.slot(forRecordId: "run1-99") == 99)
        #expect(plan.slot(forRecordId: "run1-100") == nil)
        #expect(plan.slot(forRecordId: "run2-5") == nil)
        #expect(plan.slot(forRecordId: "run1-") == nil)
        #expect(plan.slot(forRecordId: "run1-5x") == nil)
        #expect(plan.slot(forRecordId: "run10-5") == nil)
    }

    @Test func badProfilesAreRejectedWithTheOptionNamed() {
        var bad = profile()
        bad.duplicateFraction = 0.9
        #expect(throws: LoadTestError.self) { try bad.validate() }
        bad = profile()
        bad.messages = 0
        #expect(throws: LoadTestError.self) { try bad.validate() }
        bad = profile()
        bad.units = ["E\"UR"]
        #expect(throws: LoadTestError.self) { try bad.validate() }
        #expect(throws: Never.self) { try profile().validate() }
    }
}
