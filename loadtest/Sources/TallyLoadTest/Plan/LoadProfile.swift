/// What a load test publishes: how many messages, which share of them are
/// producer duplicates, invalid messages and conflicts, and how many
/// distinct destinations, references and units the records spread over.
///
/// Fractions are shares of the *published messages* (probabilities for the
/// generator, never record values). The rest are fresh valid records.
public struct LoadProfile: Sendable, Codable, Equatable {
    /// Makes every recordId and the sourceId of this run unique, so the run
    /// can verify its own records among anything else on the servers.
    public var runId: String
    public var messages: Int
    public var duplicateFraction: Double = 0
    public var invalidFraction: Double = 0
    public var conflictFraction: Double = 0
    public var destinations: Int = 100
    public var references: Int = 10
    public var units: [String] = ["EUR", "USD", "kWh"]
    /// Share of fresh records whose value is strictly above their unit's
    /// alert threshold (some others sit exactly on it, which must not alert).
    public var alertFraction: Double = 0.02
    public var seed: UInt64 = 42

    public init(runId: String, messages: Int) {
        self.runId = runId
        self.messages = messages
    }

    /// Every record of the run carries this sourceId: the aggregator's
    /// totals are asked for this run alone with `sourceId=`.
    public var sourceId: String { "loadtest-\(runId)" }

    /// The recordId of the fresh record first published at `slot`.
    public func recordId(slot: Int) -> String { "\(runId)-\(slot)" }

    public func validate() throws(LoadTestError) {
        guard messages > 0 else { throw LoadTestError("--records must be at least 1 (got \(messages))") }
        for (name, value) in [("duplicates", duplicateFraction), ("invalid", invalidFraction), ("conflicts", conflictFraction), ("alerts", alertFraction)] {
            guard value >= 0, value <= 1 else { throw LoadTestError("--\(name) must be a fraction between 0 and 1 (got \(value))") }
        }
        let derived = duplicateFraction + invalidFraction + conflictFraction
        guard derived <= 0.9 else {
            throw LoadTestError("--duplicates + --invalid + --conflicts must leave at least 10% fresh records (they add up to \(derived))")
        }
        guard destinations >= 1, references >= 1 else { throw LoadTestError("--destinations and --references must be at least 1") }
        guard !units.isEmpty, units.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C } }) else {
            throw LoadTestError("--units must name at least one unit, each printable ASCII without quotes or backslashes")
        }
        guard !runId.isEmpty, runId.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C }) else {
            throw LoadTestError("--run-id must be printable ASCII without spaces, quotes or backslashes")
        }
    }
}
