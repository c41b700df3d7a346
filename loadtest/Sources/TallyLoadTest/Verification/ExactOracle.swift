import TallyCore

/// What the aggregator must answer for the run: per destinationId, the
/// number of records and the exact positive and negative totals per unit,
/// added up with `ExactDecimal` from the plan's own fields (not from
/// anything the fleet sent back), one record per unique valid recordId.
public struct ExactOracle: Sendable, Equatable {
    public struct Group: Sendable, Equatable {
        public var count = 0
        /// unit → (positive, negative)
        public var totals: [String: UnitAmounts] = [:]

        public init(count: Int = 0, totals: [String: UnitAmounts] = [:]) {
            self.count = count
            self.totals = totals
        }
    }

    public struct UnitAmounts: Sendable, Equatable {
        public var positive = ExactDecimal.zero
        public var negative = ExactDecimal.zero

        public init(positive: ExactDecimal = .zero, negative: ExactDecimal = .zero) {
            self.positive = positive
            self.negative = negative
        }
    }

    public private(set) var groups: [String: Group] = [:]

    public init(groups: [String: Group] = [:]) {
        self.groups = groups
    }

    /// The expected totals: every fresh record once, a conflicting pair
    /// counted with the version that was applied (`applied(slot)`; the
    /// original when unknown, so a lost record still shows as a difference).
    public init(plan: LoadPlan, applied: (Int) -> Observations.Version) {
        for slot in 0..<plan.messageCount where plan.kind(at: slot) == .fresh {
            let record = plan.conflict(of: slot) != nil && applied(slot) == .conflicting
                ? plan.conflictingRecord(of: slot) : plan.record(at: slot)
            add(record)
        }
    }

    public mutating func add(_ record: PlannedRecord) {
        var group = groups[record.destinationId, default: Group()]
        group.count += 1
        var amounts = group.totals[record.unit, default: UnitAmounts()]
        if record.positive { amounts.positive += record.value.value } else { amounts.negative += record.value.value }
        group.totals[record.unit] = amounts
        groups[record.destinationId] = group
    }

    public var recordCount: Int { groups.values.reduce(0) { $0 + $1.count } }

    /// Human-readable differences between this oracle and `actual` (empty
    /// when they agree exactly), capped at `limit`.
    public func differences(from actual: ExactOracle, limit: Int = 20) -> [String] {
        var out: [String] = []
        for destination in Set(groups.keys).union(actual.groups.keys).sorted() {
            let expected = groups[destination] ?? Group()
            let got = actual.groups[destination] ?? Group()
            if expected.count != got.count {
                out.append("\(destination): count \(got.count), expected \(expected.count)")
            }
            for unit in Set(expected.totals.keys).union(got.totals.keys).sorted() {
                let e = expected.totals[unit] ?? UnitAmounts()
                let g = got.totals[unit] ?? UnitAmounts()
                if e.positive != g.positive { out.append("\(destination) \(unit): positive \(g.positive.canonical), expected \(e.positive.canonical)") }
                if e.negative != g.negative { out.append("\(destination) \(unit): negative \(g.negative.canonical), expected \(e.negative.canonical)") }
            }
            if out.count >= limit { break }
        }
        return Array(out.prefix(limit))
    }
}
