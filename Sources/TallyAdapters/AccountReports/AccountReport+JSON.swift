import TallyCore

extension AccountReport {
    /// The report as `GET /v1/accounts/{account}/report` serves it and the
    /// `reports` message carries it (openapi/aggregator.yaml, `AccountReport`):
    ///
    /// ```json
    /// {"account":"42","destinationId":"account:42","transactionCount":4,
    ///  "months":[{"month":"2026-07","count":2},{"month":"2026-08","count":2}],
    ///  "currencies":[{"currency":"USD","scale":2,"transactionCount":4,"balance":"39.74",
    ///    "credits":{"count":2,"total":"70.50","average":"35.25"},
    ///    "debits":{"count":2,"total":"30.76","average":"15.38"},
    ///    "months":[…]}],
    ///  "averageRounding":"half-even"}
    /// ```
    ///
    /// Amounts are exact decimal strings; an average without transactions is
    /// `null`. The same report always renders to the same bytes.
    public var json: String {
        var out = "{\"account\":"
        JSONWriter.appendQuoted(account, to: &out)
        out += ",\"destinationId\":"
        JSONWriter.appendQuoted(destinationId, to: &out)
        out += ",\"transactionCount\":\(transactionCount),\"months\":"
        Self.append(months, to: &out)
        out += ",\"currencies\":["
        for (index, section) in currencies.enumerated() {
            if index > 0 { out += "," }
            out += "{\"currency\":"
            JSONWriter.appendQuoted(section.currency, to: &out)
            out += ",\"scale\":\(section.scale),\"transactionCount\":\(section.transactionCount)"
            out += ",\"balance\":\"\(section.balance)\",\"credits\":"
            Self.append(section.credits, to: &out)
            out += ",\"debits\":"
            Self.append(section.debits, to: &out)
            out += ",\"months\":"
            Self.append(section.months, to: &out)
            out += "}"
        }
        out += "],\"averageRounding\":\"\(Self.averageRounding.name)\"}"
        return out
    }

    private static func append(_ months: [MonthCount], to out: inout String) {
        out += "["
        for (index, month) in months.enumerated() {
            if index > 0 { out += "," }
            out += "{\"month\":"
            JSONWriter.appendQuoted(month.month, to: &out)
            out += ",\"count\":\(month.count)}"
        }
        out += "]"
    }

    private static func append(_ flow: Flow, to out: inout String) {
        out += "{\"count\":\(flow.count),\"total\":\"\(flow.total)\",\"average\":"
        out += flow.average.map { "\"\($0)\"" } ?? "null"
        out += "}"
    }
}
