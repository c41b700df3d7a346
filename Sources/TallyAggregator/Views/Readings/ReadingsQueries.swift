import GRDB
import TallyAdapters
import TallyCore

/// The SQL of the readings and matches views, over the aggregator's index.
///
/// Every query names one ICP's destination (`records_by_destination`:
/// destination, then time) or walks destinations in order for the by-key
/// view, with the time window of a ``LocalDateRange`` on the index; the
/// sourceId and the reference (local date, run, side) are then checked on
/// the rows the index selected. Amounts are summed with ``ExactDecimal``.
struct ReadingsQueries: Sendable {
    let index: RecordIndex

    /// One row of the index as the views need it.
    struct Row: Sendable {
        let destination: String
        let reference: String
        let type: RecordType
        let amount: ExactDecimal
        let json: String
        /// Read where a view needs it (the output by key); empty elsewhere.
        var recordId = ""
    }

    // MARK: Readings

    /// A reading's position in the list's order (time, then recordId).
    struct ReadingPosition: Sendable, Equatable {
        let time: IndexedTime
        let recordId: String
    }

    /// One page of the raw readings of an ICP whose local date is in
    /// `range`, in time order after `after`: `limit + 1` rows are asked for,
    /// so `more` says whether another page follows. The totals and count
    /// cover the whole range, summed in SQL.
    func readings(icp: String, range: LocalDateRange, after: ReadingPosition?, limit: Int) async throws
        -> (rows: [Row], last: ReadingPosition?, more: Bool, count: Int, consumption: ExactDecimal, injection: ExactDecimal)
    {
        let window = range.window
        let destination = AdapterNamespace.readings.destination(icp)
        let source = AdapterNamespace.readings.sourceId
        return try await index.pool.read { db in
            var filter = SQLFilter()
            filter.add("destination = ?", [destination])
            filter.add("t_ms >= ? AND t_ms < ?", [window.start, window.end])
            filter.add("source = ?", [source])
            filter.add("reference >= ? AND reference <= ?", [range.from, range.to])
            var count = 0
            var sums: [RecordType: ExactDecimal] = [:]
            try ExactSumQuery(groupBy: ["type"], table: "records INDEXED BY records_by_destination", filter: filter)
                .run(db, restart: { count = 0; sums = [:] }) { group in
                    count += group.count
                    sums[group.int(0) == 0 ? .positive : .negative, default: .zero] += group.total
                    return true
                }
            var page = filter
            if let after {
                page.add("(t_ms, t_sub, record_id) > (?, ?, ?)", [after.time.milliseconds, after.time.subMillisecondNanos, after.recordId])
            }
            var rows: [Row] = []
            var last: ReadingPosition?
            var more = false
            let cursor = try GRDB.Row.fetchCursor(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value, json, t_ms, t_sub, record_id
                    FROM records INDEXED BY records_by_destination \(page.whereClause)
                    ORDER BY t_ms, t_sub, record_id LIMIT ?
                    """,
                arguments: StatementArguments(page.arguments + [limit + 1]))
            while let row = try cursor.next() {
                if rows.count == limit {
                    more = true
                    break
                }
                rows.append(try Self.row(row, json: row[6]))
                last = ReadingPosition(time: IndexedTime(milliseconds: row[7], subMillisecondNanos: row[8]), recordId: row[9])
            }
            return (rows, last, more, count, sums[.positive] ?? .zero, sums[.negative] ?? .zero)
        }
    }

    // MARK: Matches

    /// Every matching-algorithm row of an ICP, optionally within `range`.
    func matches(icp: String, range: LocalDateRange?) async throws -> [Row] {
        let destination = AdapterNamespace.matches.destination(icp)
        let source = AdapterNamespace.matches.sourceId
        return try await index.pool.read { db in
            if let range {
                let window = range.window
                return try Self.rows(
                    db,
                    sql: """
                        SELECT destination, reference, type, mantissa, scale, value, '' FROM records INDEXED BY records_by_destination
                        WHERE destination = ? AND t_ms >= ? AND t_ms < ? AND source = ?
                        """,
                    [destination, window.start, window.end, source])
            }
            return try Self.rows(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value, '' FROM records INDEXED BY records_by_destination
                    WHERE destination = ? AND source = ?
                    """,
                [destination, source])
        }
    }

    /// The matching rows of whole ICPs in destination order after `afterIcp`,
    /// within `range`, until `page` ends; `more` when an ICP with rows follows.
    func matchesByKey(range: LocalDateRange, afterIcp: String?, page: KeyPageLimit) async throws
        -> (groups: [(icp: String, rows: [Row])], more: Bool)
    {
        let window = range.window
        let prefix = AdapterNamespace.matches.destinationPrefix
        let lowest = afterIcp.map { prefix + $0 } ?? prefix
        // Destinations with the prefix sort below prefix + U+10FFFF.
        let highest = prefix + "\u{10FFFF}"
        return try await index.pool.read { db in
            var page = page
            var groups: [(icp: String, rows: [Row])] = []
            let cursor = try GRDB.Row.fetchCursor(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value, record_id FROM records INDEXED BY records_by_destination
                    WHERE destination > ? AND destination < ? AND t_ms >= ? AND t_ms < ? AND source = ?
                    ORDER BY destination
                    """,
                arguments: [lowest, highest, window.start, window.end, AdapterNamespace.matches.sourceId])
            while let row = try cursor.next() {
                var parsed = try Self.row(row, json: "")
                parsed.recordId = row[6]
                let icp = AdapterNamespace.matches.key(ofDestination: parsed.destination) ?? parsed.destination
                guard page.admit(icp: icp) else { return (groups, true) }
                if groups.last?.icp != icp { groups.append((icp, [])) }
                groups[groups.count - 1].rows.append(parsed)
            }
            return (groups, false)
        }
    }

    /// One page of the runs with output for an ICP, latest first (by
    /// instant, equal instants by text, as ``MatchSelection/isLater(_:than:)``
    /// orders them): SQL groups the ICP's rows by run and returns at most
    /// `limit + 1` runs after `afterRun` in that order; no row reaches Swift.
    func runs(icp: String, afterRun: String?, limit: Int) async throws -> [MatchSelection.RunSummary] {
        let destination = AdapterNamespace.matches.destination(icp)
        let source = AdapterNamespace.matches.sourceId
        return try await index.pool.read { db in
            try GRDB.Row.fetchAll(
                db,
                sql: """
                    WITH parts AS (
                      SELECT substr(reference, 1, instr(reference, '|') - 1) AS run, substr(reference, instr(reference, '|') + 1) AS rest
                      FROM records INDEXED BY records_by_destination
                      WHERE destination = ? AND source = ? AND instr(reference, '|') > 0
                    ), entries AS (
                      SELECT run, substr(rest, 1, instr(rest, '|') - 1) AS side, substr(rest, instr(rest, '|') + 1) AS day
                      FROM parts WHERE instr(rest, '|') > 0
                    )
                    SELECT run, COUNT(*), MIN(day), MAX(day), COALESCE(julianday(run), 0) AS at FROM entries
                    WHERE side IN ('buyer', 'seller') AND instr(day, '|') = 0
                    GROUP BY run
                    HAVING ? IS NULL OR at < COALESCE(julianday(?), 0) OR (at = COALESCE(julianday(?), 0) AND run < ?)
                    ORDER BY at DESC, run DESC LIMIT ?
                    """,
                arguments: [destination, source, afterRun, afterRun, afterRun, afterRun, limit + 1]
            ).map { row in MatchSelection.RunSummary(run: row[0], count: row[1], firstDate: row[2], lastDate: row[3]) }
        }
    }

    /// One page of a run's per-day totals of an ICP: the first `limit` local
    /// dates after `afterDate`, ascending, and whether more follow.
    ///
    /// The rows are read through the index in time order from the first
    /// instant a date after `afterDate` can have (the widened window of
    /// ``LocalDateRange``), and the walk stops once the time is past the
    /// last instant the page's `limit`-th date can have: every later row
    /// belongs to a later date, so the rows read are the page's plus at most
    /// the 50 hours around its last date, however many the ICP has.
    func days(icp: String, run: String, afterDate: String?, limit: Int) async throws
        -> (days: [(date: String, buyer: MatchSelection.DayTotal?, seller: MatchSelection.DayTotal?)], more: Bool)
    {
        let destination = AdapterNamespace.matches.destination(icp)
        let source = AdapterNamespace.matches.sourceId
        let start: Int64
        if let afterDate, let day = try? LocalDateRange.day(afterDate, "cursor") {
            start = ((day + 1) * 86_400 - 14 * 3_600) * 1_000
        } else {
            start = Int64.min
        }
        return try await index.pool.read { db in
            var byDate: [String: (buyer: MatchSelection.DayTotal?, seller: MatchSelection.DayTotal?)] = [:]
            var stopAt = Int64.max
            var more = false
            let cursor = try GRDB.Row.fetchCursor(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value, t_ms FROM records INDEXED BY records_by_destination
                    WHERE destination = ? AND t_ms >= ? AND source = ? AND reference > ? AND reference < ?
                    ORDER BY t_ms, t_sub, record_id
                    """,
                // The run's references are `run|…`, between `run|` and `run}`.
                arguments: [destination, start, source, run + "|", run + "}"])
            while let row = try cursor.next() {
                let time: Int64 = row[6]
                if time >= stopAt {
                    more = true
                    break
                }
                let parsed = try Self.row(row, json: "")
                guard let reference = MatchReference(parsed.reference), reference.run == run,
                    afterDate.map({ reference.date > $0 }) ?? true
                else { continue }
                let isNew = byDate[reference.date] == nil
                var entry = byDate[reference.date] ?? (nil, nil)
                var total = (reference.side == .buyer ? entry.buyer : entry.seller)
                    ?? MatchSelection.DayTotal(date: reference.date, count: 0, total: .zero)
                total.count += 1
                total.total += parsed.amount
                if reference.side == .buyer { entry.buyer = total } else { entry.seller = total }
                byDate[reference.date] = entry
                if isNew, byDate.count >= limit {
                    stopAt = Self.end(of: byDate.keys.sorted()[limit - 1])
                }
            }
            let dates = byDate.keys.sorted()
            if dates.count > limit { more = true }
            return (dates.prefix(limit).map { ($0, byDate[$0]!.buyer, byDate[$0]!.seller) }, more)
        }
    }

    /// The last instant (exclusive) a row of local `date` can have.
    static func end(of date: String) -> Int64 {
        guard let day = try? LocalDateRange.day(date, "date") else { return Int64.max }
        return ((day + 1) * 86_400 + 12 * 3_600) * 1_000
    }

    // MARK: Rows

    private static func rows(_ db: Database, sql: String, _ arguments: StatementArguments) throws -> [Row] {
        var result: [Row] = []
        let cursor = try GRDB.Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try cursor.next() { result.append(try Self.row(row, json: row[6])) }
        return result
    }

    private static func row(_ row: GRDB.Row, json: String) throws -> Row {
        let amount: ExactDecimal
        if let mantissa = row[3] as Int64? {
            amount = IndexedValue.decimal(mantissa: mantissa, scale: row[4])
        } else {
            amount = try ExactDecimal.parse(row[5] as String)
        }
        return Row(
            destination: row[0], reference: row[1], type: (row[2] as Int) == 0 ? .positive : .negative, amount: amount,
            json: json)
    }
}
