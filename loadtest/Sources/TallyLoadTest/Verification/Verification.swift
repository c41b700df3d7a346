/// The verdict of a run: each check with what was expected and what was
/// observed. Any lost or doubled effect fails the run.
public struct Verification: Sendable, Codable, Equatable {
    public struct Check: Sendable, Codable, Equatable {
        public let name: String
        public let expected: String
        public let observed: String
        public let passed: Bool
    }

    public private(set) var checks: [Check] = []
    /// Details of what went wrong (capped), for the person reading the report.
    public private(set) var findings: [String] = []

    public var passed: Bool { checks.allSatisfy(\.passed) }

    public init() {}

    public mutating func check(_ name: String, expected: some CustomStringConvertible, observed: some CustomStringConvertible, passed: Bool) {
        checks.append(Check(name: name, expected: "\(expected)", observed: "\(observed)", passed: passed))
    }

    public mutating func expectEqual(_ name: String, expected: Int, observed: Int) {
        check(name, expected: expected, observed: observed, passed: expected == observed)
    }

    public mutating func note(_ finding: String) {
        if findings.count < 60 { findings.append(finding) }
    }

    /// Verifies what the fleet did with the plan's messages.
    ///
    /// - `totals`: the aggregator's answer for the run's sourceId, or nil
    ///   when it was not asked (the check is then reported as skipped).
    /// - `outputsOnly`: the broker-only baseline, which relays messages and
    ///   has no alerts, dead letters or totals.
    public static func verify(plan: LoadPlan, observations seen: Observations, totals: ExactOracle?, outputsOnly: Bool = false) -> Verification {
        var result = Verification()
        var lost = 0, doubledCopies = 0, expectedAlerts = 0, missingAlerts = 0, extraAlerts = 0
        var invalid = 0, invalidDead = 0, invalidRepeated = 0, pairs = 0, pairsResolved = 0
        for slot in 0..<plan.messageCount {
            switch plan.kind(at: slot) {
            case .fresh:
                let copies = Int(seen.notificationCopies[slot])
                if copies == 0 {
                    lost += 1
                    if lost <= 10 { result.note("no notification for \(plan.profile.recordId(slot: slot))") }
                } else if copies > 1 {
                    doubledCopies += copies - 1
                }
                if outputsOnly { continue }
                var record = plan.record(at: slot)
                if let conflictSlot = plan.conflict(of: slot) {
                    pairs += 1
                    let applied = seen.applied[slot]
                    let dead = seen.deadVersion[conflictSlot]
                    let resolved = seen.deadCopies[conflictSlot] >= 1
                        && ((applied == .original && dead == .conflicting) || (applied == .conflicting && dead == .original))
                    if resolved { pairsResolved += 1 } else if pairs - pairsResolved <= 10 {
                        result.note("conflicting pair \(record.recordId): applied \(applied), dead-lettered \(dead) ×\(seen.deadCopies[conflictSlot])")
                    }
                    if applied == .conflicting { record = plan.conflictingRecord(of: slot) }
                }
                let alerts = Int(seen.alertCopies[slot])
                if plan.alerts(record) {
                    expectedAlerts += 1
                    if alerts == 0 {
                        missingAlerts += 1
                        if missingAlerts <= 10 { result.note("no alert for \(record.recordId) (value \(record.value.text) \(record.unit))") }
                    }
                } else if alerts > 0 {
                    extraAlerts += 1
                    if extraAlerts <= 10 { result.note("alert for \(record.recordId) whose value \(record.value.text) \(record.unit) is not above its threshold") }
                }
            case .invalid:
                invalid += 1
                let copies = Int(seen.deadCopies[slot])
                if copies >= 1 { invalidDead += 1 }
                if copies > 1 { invalidRepeated += copies - 1 }
                if copies == 0, invalid - invalidDead <= 10 { result.note("no dead letter for bad message \(plan.profile.recordId(slot: slot))") }
            case .duplicate, .conflict:
                break
            }
        }
        result.check(
            "one notification identity per unique valid record (none lost)", expected: "\(plan.freshCount) records",
            observed: "\(plan.freshCount - lost) records, \(lost) lost", passed: lost == 0)
        result.check(
            "no notification for anything not published as a record", expected: 0, observed: seen.unexpectedNotifications,
            passed: seen.unexpectedNotifications == 0)
        result.check(
            "re-published notifications carry the same identity and body", expected: "0 changed",
            observed: "\(seen.changedIdentities) changed, \(doubledCopies) identical extra copies", passed: seen.changedIdentities == 0)
        if !outputsOnly {
            result.check(
                "alerts exactly for values above the threshold", expected: "\(expectedAlerts) alerts",
                observed: "\(expectedAlerts - missingAlerts) expected + \(extraAlerts) not expected + \(seen.unexpectedAlerts) unknown",
                passed: missingAlerts == 0 && extraAlerts == 0 && seen.unexpectedAlerts == 0)
            result.check(
                "every invalid message dead-lettered with its reason", expected: "\(invalid) messages",
                observed: "\(invalidDead) dead-lettered, \(seen.wrongReasons) with a wrong reason",
                passed: invalidDead == invalid && seen.wrongReasons == 0)
            result.check(
                "every conflict: one version applied, the other dead-lettered as conflict", expected: "\(pairs) pairs",
                observed: "\(pairsResolved) resolved", passed: pairsResolved == pairs)
            result.check(
                "no other dead letters", expected: 0, observed: seen.unexpectedDeadLetters, passed: seen.unexpectedDeadLetters == 0)
            if let totals {
                let oracle = ExactOracle(plan: plan) { seen.applied[$0] }
                let differences = oracle.differences(from: totals)
                result.check(
                    "aggregator totals equal the exact oracle",
                    expected: "\(oracle.recordCount) records in \(oracle.groups.count) destinations",
                    observed: differences.isEmpty ? "equal" : "\(totals.recordCount) records, \(differences.count)+ differences",
                    passed: differences.isEmpty)
                for difference in differences { result.note("totals: \(difference)") }
            } else {
                result.check("aggregator totals equal the exact oracle", expected: "checked", observed: "skipped (no --aggregator)", passed: true)
            }
        }
        for finding in seen.findings { result.note(finding) }
        return result
    }
}
