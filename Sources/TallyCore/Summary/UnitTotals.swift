/// Exact totals of one unit. Totals are per unit so that EUR is never
/// added to kWh (docs/contract.md, "Exact decimals").
public struct UnitTotals: Sendable, Equatable {
    public let unit: String
    public var positive: ExactDecimal
    public var negative: ExactDecimal

    public init(unit: String, positive: ExactDecimal = .zero, negative: ExactDecimal = .zero) {
        self.unit = unit
        self.positive = positive
        self.negative = negative
    }

    /// Positive minus negative; the only place a total can be below zero.
    public var net: ExactDecimal { positive - negative }

    /// Units are equal when their bytes are, as in Redis (not Swift's
    /// canonical-equivalence `==`).
    public static func == (a: UnitTotals, b: UnitTotals) -> Bool {
        a.unit.utf8.elementsEqual(b.unit.utf8) && a.positive == b.positive && a.negative == b.negative
    }

    /// `{"unit":…,"positive":"…","negative":"…","net":"…"}`: one entry of
    /// every `totals` array tally writes (notifications, query answers).
    public func appendJSON(to out: inout String) {
        out += "{\"unit\":"
        JSONWriter.appendQuoted(unit, to: &out)
        out += ",\"positive\":\"\(positive)\",\"negative\":\"\(negative)\",\"net\":\"\(net)\"}"
    }
}
