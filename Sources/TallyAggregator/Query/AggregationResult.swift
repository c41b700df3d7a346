import TallyCore

/// One destination's share of a query result.
public struct AggregationGroup: Sendable, Equatable {
    public let destinationId: String
    /// Every matching record of the destination, not only this page's.
    public let count: Int
    /// Exact per-unit totals of every matching record, sorted by unit bytes.
    public let totals: [UnitTotals]
    /// This page's records of the destination, as canonical JSON; nil when
    /// only totals were asked for.
    public let records: [String]?

    public init(destinationId: String, count: Int, totals: [UnitTotals], records: [String]?) {
        self.destinationId = destinationId
        self.count = count
        self.totals = totals
        self.records = records
    }
}

/// The body of `GET /v1/aggregations`.
public struct AggregationResult: Sendable, Equatable {
    public let groups: [AggregationGroup]
    /// Absent on the last page (and for totals-only queries).
    public let nextCursor: String?

    public init(groups: [AggregationGroup], nextCursor: String?) {
        self.groups = groups
        self.nextCursor = nextCursor
    }

    /// `{"groups":[{"destinationId","count","totals":[…],"records":[…]}],"nextCursor"?}`.
    /// Records are spliced in as the stored canonical JSON, not re-encoded.
    public var json: String {
        var out = "{\"groups\":["
        for (position, group) in groups.enumerated() {
            if position > 0 { out += "," }
            out += "{\"destinationId\":"
            JSONWriter.appendQuoted(group.destinationId, to: &out)
            out += ",\"count\":\(group.count),\"totals\":["
            for (index, entry) in group.totals.enumerated() {
                if index > 0 { out += "," }
                entry.appendJSON(to: &out)
            }
            out += "]"
            if let records = group.records {
                out += ",\"records\":["
                for (index, record) in records.enumerated() {
                    if index > 0 { out += "," }
                    out += record
                }
                out += "]"
            }
            out += "}"
        }
        out += "]"
        if let nextCursor {
            out += ",\"nextCursor\":"
            JSONWriter.appendQuoted(nextCursor, to: &out)
        }
        out += "}"
        return out
    }
}
