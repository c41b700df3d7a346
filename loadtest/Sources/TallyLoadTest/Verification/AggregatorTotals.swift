import TallyCore

/// Reads the aggregator's `GET /v1/aggregations?…&totalsOnly=true` answer
/// (`{"groups":[{"destinationId","count","totals":[{"unit","positive",
/// "negative","net"}]}],"nextCursor"?}`) into the oracle's shape, exactly.
/// The groups come a page at a time: ``parsePage(_:)`` also returns the
/// page's `nextCursor`, and ``merging(_:_:)`` joins the pages.
public enum AggregatorTotals {
    public static func parse(_ body: [UInt8]) throws(LoadTestError) -> ExactOracle {
        try parsePage(body).totals
    }

    /// The totals of one page and its `nextCursor` (nil on the last page).
    public static func parsePage(_ body: [UInt8]) throws(LoadTestError) -> (totals: ExactOracle, nextCursor: String?) {
        let json: JSONValue
        do { json = try JSONParser.parse(body, maxDepth: 16) } catch { throw LoadTestError("aggregator answer is not JSON: \(error)") }
        guard case .array(let groups)? = json["groups"] else { throw LoadTestError("aggregator answer has no \"groups\" array") }
        var out: [String: ExactOracle.Group] = [:]
        for group in groups {
            guard case .string(let destination)? = group["destinationId"], case .number(let countText)? = group["count"],
                let count = Int(countText), case .array(let totals)? = group["totals"]
            else { throw LoadTestError("aggregator group without destinationId, count or totals") }
            var amounts: [String: ExactOracle.UnitAmounts] = [:]
            for total in totals {
                guard case .string(let unit)? = total["unit"], case .string(let positive)? = total["positive"],
                    case .string(let negative)? = total["negative"],
                    let p = try? ExactDecimal.parseTotal(positive), let n = try? ExactDecimal.parseTotal(negative)
                else { throw LoadTestError("aggregator unit total of \(destination) is not {unit, positive, negative} with decimal strings") }
                amounts[unit] = ExactOracle.UnitAmounts(positive: p, negative: n)
            }
            out[destination] = ExactOracle.Group(count: count, totals: amounts)
        }
        var next: String?
        if case .string(let cursor)? = json["nextCursor"] { next = cursor }
        return (ExactOracle(groups: out), next)
    }

    /// The groups of two pages (a destination is on one page only).
    public static func merging(_ a: ExactOracle, _ b: ExactOracle) -> ExactOracle {
        ExactOracle(groups: a.groups.merging(b.groups) { first, _ in first })
    }
}
