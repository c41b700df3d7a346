import GRDB
import TallyCore

/// Answers an ``AggregationQuery`` from the index.
///
/// Totals: SQL sums the Int64 mantissas per (destination, unit, type, scale)
/// — exact, and SQLite raises on overflow — and ``TotalsAccumulator``
/// combines the sums with ``ExactDecimal``. Values too long for Int64 and
/// groups whose SQL sum overflows are summed from their text in Swift.
///
/// Paging: records in (destinationId, time, recordId) order, `limit + 1`
/// fetched to know whether a next page exists. A page carries the groups
/// that have records on it, each with totals over *all* its matching records.
/// With `totalsOnly` the groups themselves are paged, in destinationId order.
public struct AggregationEngine: Sendable {
    public let index: RecordIndex

    public init(index: RecordIndex) {
        self.index = index
    }

    public func run(_ query: AggregationQuery) async throws -> AggregationResult {
        try await index.pool.read { db in try Self.run(query, db) }
    }

    static func run(_ query: AggregationQuery, _ db: Database) throws -> AggregationResult {
        if query.totalsOnly {
            let page = try groupPage(query, db)
            let groups = page.destinations.isEmpty ? [] : try totals(query.filters, destinations: page.destinations, db)
            let next = page.more ? page.destinations.last.map { PageCursor.groups(query.filters).encode([.text($0)]) } : nil
            return AggregationResult(
                groups: groups.map { AggregationGroup(destinationId: $0.destinationId, count: $0.count, totals: $0.totals, records: nil) },
                nextCursor: next)
        }
        let page = try records(query, db)
        guard !page.rows.isEmpty else { return AggregationResult(groups: [], nextCursor: nil) }
        // Grouped by bytes, as the index stores destinationIds: NFC and NFD
        // spellings are two destinations (ExactText), as in `totalsOnly`.
        var order: [String] = []
        var byDestination: [ExactText: [String]] = [:]
        for row in page.rows {
            let key = ExactText(row.destination)
            if byDestination[key] == nil { order.append(row.destination) }
            byDestination[key, default: []].append(row.json)
        }
        let totalsByDestination = Dictionary(
            try totals(query.filters, destinations: order, db).map { (ExactText($0.destinationId), $0) },
            uniquingKeysWith: { first, _ in first })
        let groups = order.map { destination in
            let summary = totalsByDestination[ExactText(destination)]
            return AggregationGroup(
                destinationId: destination, count: summary?.count ?? 0, totals: summary?.totals ?? [],
                records: byDestination[ExactText(destination)])
        }
        let next = page.next.map { PageCursor.encode($0, filters: query.filters) }
        return AggregationResult(groups: groups, nextCursor: next)
    }

    // MARK: - Records

    struct PageRow {
        let destination: String
        let json: String
    }

    /// With a time window that holds fewer rows than this, the page is read
    /// through the time index and sorted; with more, the destination index
    /// is walked in page order (no sort, stops after `limit + 1` matches).
    static let sortThreshold = 50_000

    static func records(_ query: AggregationQuery, _ db: Database) throws -> (rows: [PageRow], next: PageCursor.Position?) {
        var filter = SQLFilter(query.filters)
        if let after = query.after {
            filter.add(
                "(destination, t_ms, t_sub, record_id) > (?, ?, ?, ?)",
                [after.destinationId, after.time.milliseconds, after.time.subMillisecondNanos, after.recordId])
        }
        let index = try pageIndex(query.filters, db)
        let sql = """
            SELECT destination, t_ms, t_sub, record_id, json FROM records INDEXED BY \(index)
            \(filter.whereClause) ORDER BY destination, t_ms, t_sub, record_id LIMIT ?
            """
        var rows: [PageRow] = []
        rows.reserveCapacity(query.limit + 1)
        var last: PageCursor.Position?
        var next: PageCursor.Position?
        let cursor = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(filter.arguments + [query.limit + 1]))
        while let row = try cursor.next() {
            if rows.count == query.limit {
                next = last
                break
            }
            let destination: String = row[0]
            rows.append(PageRow(destination: destination, json: row[4]))
            last = PageCursor.Position(
                destinationId: destination, time: IndexedTime(milliseconds: row[1], subMillisecondNanos: row[2]),
                recordId: row[3])
        }
        return (rows, next)
    }

    /// The destinations of a page of groups (`totalsOnly`): the first
    /// `limit` with matching records after the cursor's, in byte order, and
    /// whether more follow (`limit + 1` are asked for).
    static func groupPage(_ query: AggregationQuery, _ db: Database) throws -> (destinations: [String], more: Bool) {
        var filter = SQLFilter(query.filters)
        if let after = query.afterGroup { filter.add("destination > ?", [after]) }
        let index = try pageIndex(query.filters, db)
        var destinations = try String.fetchAll(
            db,
            sql: "SELECT DISTINCT destination FROM records INDEXED BY \(index) \(filter.whereClause) ORDER BY destination LIMIT ?",
            arguments: StatementArguments(filter.arguments + [query.limit + 1]))
        let more = destinations.count > query.limit
        if more { destinations.removeLast() }
        return (destinations, more)
    }

    private static func pageIndex(_ filters: AggregationQuery.Filters, _ db: Database) throws -> String {
        guard filters.destinationId == nil, filters.start != nil || filters.end != nil else {
            return "records_by_destination"
        }
        var window = SQLFilter(AggregationQuery.Filters(start: filters.start, end: filters.end))
        window.arguments.append(sortThreshold)
        let inWindow = try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM (SELECT 1 FROM records INDEXED BY records_by_time \(window.whereClause) LIMIT ?)",
            arguments: StatementArguments(window.arguments)) ?? 0
        return inWindow < sortThreshold ? "records_by_time" : "records_by_destination"
    }

    // MARK: - Totals

    static func totals(
        _ filters: AggregationQuery.Filters, destinations: [String]?, _ db: Database
    ) throws -> [(destinationId: String, count: Int, totals: [UnitTotals])] {
        var filter = SQLFilter(filters)
        if let destinations, filters.destinationId == nil {
            filter.add(
                "destination IN (" + Array(repeating: "?", count: destinations.count).joined(separator: ",") + ")",
                destinations)
        }
        let index = totalsIndex(filters, byDestination: destinations != nil || filters.destinationId != nil)
        var accumulator = TotalsAccumulator()
        try ExactSumQuery(groupBy: ["destination", "unit", "type"], table: "records INDEXED BY \(index)", filter: filter)
            .run(db, restart: { accumulator = TotalsAccumulator() }) { group in
                let destination = group.string(0)
                accumulator.addCount(group.count, destination: destination)
                accumulator.add(
                    group.total, destination: destination, unit: group.string(1), type: group.int(2) == 0 ? .positive : .negative)
                return true
            }
        return accumulator.groups()
    }

    /// The covering index that serves a totals query without touching the table
    /// (unless sourceId or reference filters are given).
    static func totalsIndex(_ filters: AggregationQuery.Filters, byDestination: Bool) -> String {
        let windowed = filters.start != nil || filters.end != nil
        switch (byDestination, windowed) {
        case (true, true): return "records_by_destination"
        case (false, true): return "records_by_time"
        default: return "records_totals"
        }
    }
}

/// A WHERE clause and its arguments, built from the filters only: user
/// input is always bound, never spliced into SQL.
struct SQLFilter {
    private(set) var conditions: [String] = []
    var arguments: [(any DatabaseValueConvertible)?] = []

    init() {}

    init(_ filters: AggregationQuery.Filters) {
        if let start = filters.start { add("(t_ms, t_sub) >= (?, ?)", [start.milliseconds, start.subMillisecondNanos]) }
        if let end = filters.end { add("(t_ms, t_sub) < (?, ?)", [end.milliseconds, end.subMillisecondNanos]) }
        if let type = filters.type { add("type = ?", [type == .positive ? 0 : 1]) }
        if let destination = filters.destinationId { add("destination = ?", [destination]) }
        if let source = filters.sourceId { add("source = ?", [source]) }
        if let reference = filters.reference { add("reference = ?", [reference]) }
    }

    mutating func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?]) {
        conditions.append(condition)
        arguments.append(contentsOf: values)
    }

    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }
}
