import Testing
@testable import TallyCore

private func makeRecord(value: String, unit: String = "EUR") throws -> Record {
    let time = "2026-03-01T12:00:00Z"
    return try Record(
        recordId: "r-1", time: RFC3339Timestamp.parse(time), timeText: time, sourceId: "billing",
        destinationId: "acct-42", type: .positive, value: ExactDecimal.parse(value), unit: unit, reference: "inv-7")
}

private func decimal(_ text: String) throws -> ExactDecimal {
    try ExactDecimal.parse(text)
}

@Suite("AlertPolicy")
struct AlertPolicyTests {
    @Test func defaultThresholdIsTenThousand() throws {
        #expect(AlertPolicy().defaultThreshold == (try decimal("10000")))
        #expect(AlertPolicy().threshold(for: "EUR") == ExactDecimal(10_000))
        #expect(AlertPolicy().threshold(for: "anything") == ExactDecimal(10_000))
        #expect(ExactDecimal.tenThousand == ExactDecimal(10_000))
    }

    @Test(arguments: [
        ("10000", false), ("10000.00", false), ("1e4", false), ("9999.9999", false), ("0", false),
        ("10000.0001", true), ("10000.00000000000000000000000000000001", true), ("10001", true), ("1e5", true),
    ])
    func defaultThresholdIsStrictlyGreaterThan(_ value: String, _ alerts: Bool) throws {
        let exceeded = AlertPolicy().thresholdExceeded(by: try makeRecord(value: value))
        if alerts {
            #expect(exceeded == ExactDecimal(10_000))
        } else {
            #expect(exceeded == nil)
        }
    }

    @Test func valueEqualToACustomThresholdDoesNotAlert() throws {
        let policy = AlertPolicy(defaultThreshold: try decimal("12.50"))
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "12.5")) == nil)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "12.5000")) == nil)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "12.5001")) == (try decimal("12.5")))
    }

    @Test func perUnitOverrideWins() throws {
        let policy = AlertPolicy(perUnit: ["kWh": try decimal("2.5"), "EUR": try decimal("50000")])
        #expect(policy.threshold(for: "kWh") == (try decimal("2.5")))
        #expect(policy.threshold(for: "EUR") == ExactDecimal(50_000))
        #expect(policy.threshold(for: "USD") == ExactDecimal(10_000))
        // kWh: 2.5 is the limit.
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "2.5", unit: "kWh")) == nil)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "2.5001", unit: "kWh")) == (try decimal("2.5")))
        // EUR: the override is above the default, so 20000 does not alert.
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "20000", unit: "EUR")) == nil)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "50000.01", unit: "EUR")) == ExactDecimal(50_000))
        // Other units keep the default.
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "10000.0001", unit: "USD")) == ExactDecimal(10_000))
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "3", unit: "kwh")) == nil)
    }

    @Test func zeroThresholdAlertsOnAnythingPositive() throws {
        let policy = AlertPolicy(defaultThreshold: .zero)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "0")) == nil)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "0.00000001")) == .zero)
    }

    // MARK: Overrides

    @Test func parseOverrides() throws {
        let overrides = try AlertPolicy.parseOverrides(["EUR=5000", "kWh=2.5"])
        #expect(overrides.count == 2)
        #expect(overrides["EUR"] == ExactDecimal(5_000))
        #expect(overrides["kWh"] == (try decimal("2.5")))
        let policy = AlertPolicy(perUnit: overrides)
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "5000.5", unit: "EUR")) == ExactDecimal(5_000))
        #expect(policy.thresholdExceeded(by: try makeRecord(value: "2.5", unit: "kWh")) == nil)
    }

    @Test func parseOverridesOfNothing() throws {
        #expect(try AlertPolicy.parseOverrides([]).isEmpty)
    }

    @Test func parseOverridesKeepsExactAmounts() throws {
        let overrides = try AlertPolicy.parseOverrides(["€=0.1", "kWh=1.5e3", "big=123456789012345678901234567890.5"])
        #expect(overrides["€"]?.description == "0.1")
        #expect(overrides["kWh"] == ExactDecimal(1_500))
        #expect(overrides["big"]?.description == "123456789012345678901234567890.5")
    }

    @Test(arguments: ["EUR", "=5", "EUR=abc", "EUR=", "EUR=1,5", "EUR= 5", "EUR=5 ", "EUR=NaN", "=", "EUR:5", "EUR=0x10"])
    func malformedOverridesAreRejected(_ pair: String) {
        #expect(throws: Rejection.self) { try AlertPolicy.parseOverrides([pair]) }
        // One bad pair spoils a list of good ones.
        #expect(throws: Rejection.self) { try AlertPolicy.parseOverrides(["kWh=2.5", pair, "USD=1"]) }
    }
}

@Suite("AlertPolicy: negative overrides")
struct AlertPolicyNegativeOverrideTests {
    @Test func negativeOverrideIsRejected() {
        #expect(throws: Rejection.self) { try AlertPolicy.parseOverrides(["EUR=-5"]) }
    }
}
