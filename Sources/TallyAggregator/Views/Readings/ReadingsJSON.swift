import TallyAdapters
import TallyCore

/// The response bodies of ``ReadingsViews`` (shapes in openapi/aggregator.yaml).
/// Amounts are exact decimal strings, in kWh.
enum ReadingsJSON {
    static func readings(
        icp: String, range: LocalDateRange, rows: [ReadingsQueries.Row], count: Int, consumption: ExactDecimal,
        injection: ExactDecimal, nextCursor: String?
    ) -> String {
        var items = ""
        let validator = RecordValidator()
        for row in rows {
            guard case .success(let record) = validator.validate(Array(row.json.utf8)) else { continue }
            if !items.isEmpty { items += "," }
            items += "{\"readTimestamp\":"
            JSONWriter.appendQuoted(record.timeText, to: &items)
            items += ",\"intervalRead\":\"\(record.value)\",\"direction\":\"\(record.type == .positive ? "X" : "I")\",\"recordId\":"
            JSONWriter.appendQuoted(record.recordId, to: &items)
            items += "}"
        }
        var out = "{\"icpId\":"
        JSONWriter.appendQuoted(icp, to: &out)
        out += ",\"from\":\"\(range.from)\",\"to\":\"\(range.to)\",\"unit\":\"\(ReadingRowMapper.unit)\",\"count\":\(count)"
        out += ",\"totals\":{\"consumption\":\"\(consumption)\",\"injection\":\"\(injection)\",\"net\":\"\(consumption - injection)\"}"
        out += ",\"readings\":[\(items)]"
        if let nextCursor { out += ",\"nextCursor\":" + quotedOrNull(nextCursor) }
        return out + "}"
    }

    static func runs(icp: String, _ runs: [MatchSelection.RunSummary], nextCursor: String?) -> String {
        var out = "{\"icpId\":"
        JSONWriter.appendQuoted(icp, to: &out)
        out += ",\"runs\":["
        out += runs.map { run in
            var item = "{\"run\":"
            JSONWriter.appendQuoted(run.run, to: &item)
            item += ",\"count\":\(run.count),\"firstDate\":"
            JSONWriter.appendQuoted(run.firstDate, to: &item)
            item += ",\"lastDate\":"
            JSONWriter.appendQuoted(run.lastDate, to: &item)
            return item + "}"
        }.joined(separator: ",")
        out += "]"
        if let nextCursor { out += ",\"nextCursor\":" + quotedOrNull(nextCursor) }
        return out + "}"
    }

    static func totals(icp: String, run: String?, range: LocalDateRange, _ sides: [(MatchSide, [MatchSelection.DayTotal])]) -> String {
        var out = "{\"icpId\":"
        JSONWriter.appendQuoted(icp, to: &out)
        out += ",\"run\":" + quotedOrNull(run)
        out += ",\"from\":\"\(range.from)\",\"to\":\"\(range.to)\",\"unit\":\"\(MatchRowMapper.unit)\",\"sides\":["
        out += sides.map { side, days in
            let sum = MatchSelection.sum(days)
            let dayItems = days.map { "{\"date\":\"\(escapedDate($0.date))\",\"count\":\($0.count),\"total\":\"\($0.total)\"}" }
            return "{\"side\":\"\(side.rawValue)\",\"count\":\(sum.count),\"total\":\"\(sum.total)\",\"days\":[\(dayItems.joined(separator: ","))]}"
        }.joined(separator: ",")
        return out + "]}"
    }

    static func days(
        icp: String, run: String?, _ page: [(date: String, buyer: MatchSelection.DayTotal?, seller: MatchSelection.DayTotal?)],
        nextCursor: String?
    ) -> String {
        var out = "{\"icpId\":"
        JSONWriter.appendQuoted(icp, to: &out)
        out += ",\"run\":" + quotedOrNull(run) + ",\"unit\":\"\(MatchRowMapper.unit)\",\"days\":["
        out += page.map { day in
            let count = (day.buyer?.count ?? 0) + (day.seller?.count ?? 0)
            return "{\"date\":\"\(escapedDate(day.date))\",\"count\":\(count),\"buyer\":\"\(day.buyer?.total ?? .zero)\",\"seller\":\"\(day.seller?.total ?? .zero)\"}"
        }.joined(separator: ",")
        out += "]"
        if let nextCursor { out += ",\"nextCursor\":" + quotedOrNull(nextCursor) }
        return out + "}"
    }

    /// One ICP of the output by key: its run, totals per side and rows.
    struct KeyOutput {
        let icp: String
        let run: String
        let sides: [(MatchSide, Int, ExactDecimal)]
        let rows: [MatchSelection.OutputRow]
    }

    static func byKey(range: LocalDateRange, _ items: [KeyOutput], nextCursor: String?) -> String {
        var out = "{\"from\":\"\(range.from)\",\"to\":\"\(range.to)\",\"unit\":\"\(MatchRowMapper.unit)\",\"icps\":["
        out += items.map { item in
            var text = "{\"icpId\":"
            JSONWriter.appendQuoted(item.icp, to: &text)
            text += ",\"run\":" + quotedOrNull(item.run) + ",\"sides\":["
            text += item.sides.map { "{\"side\":\"\($0.0.rawValue)\",\"count\":\($0.1),\"total\":\"\($0.2)\"}" }.joined(separator: ",")
            text += "],\"rows\":["
            text += item.rows.map { row in
                "{\"readDate\":\"\(escapedDate(row.date))\",\"readTime\":\"\(escapedDate(row.time))\",\"side\":\"\(row.side.rawValue)\",\"matchedAmount\":\"\(row.amount)\"}"
            }.joined(separator: ",")
            return text + "]}"
        }.joined(separator: ",")
        out += "]"
        if let nextCursor { out += ",\"nextCursor\":" + quotedOrNull(nextCursor) }
        return out + "}"
    }

    private static func quotedOrNull(_ text: String?) -> String {
        guard let text else { return "null" }
        var out = ""
        JSONWriter.appendQuoted(text, to: &out)
        return out
    }

    /// Dates and times come from references and recordIds the adapter
    /// wrote; escaped anyway.
    private static func escapedDate(_ date: String) -> String {
        var out = ""
        JSONWriter.appendQuoted(date, to: &out)
        return String(out.dropFirst().dropLast())
    }
}
