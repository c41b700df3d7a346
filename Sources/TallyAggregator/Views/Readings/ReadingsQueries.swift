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
    }

    // MARK: Readings

    /// The raw readings of an ICP whose local date is in `range`, in time order.
    func readings(icp: String, range: LocalDateRange) async throws -> [Row] {
        let window = range.window
        return try await index.pool.read { db in
            try Self.rows(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value, json FROM records INDEXED BY records_by_destination
                    WHERE destination = ? AND t_ms >= ? AND t_ms < ? AND source = ? AND reference >= ? AND reference <= ?
                    ORDER BY t_ms, t_sub, record_id
                    """,
                [AdapterNamespace.readings.destination(icp), window.start, window.end, AdapterNamespace.readings.sourceId,
                 range.from, range.to])
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
    /// within `range`, until `limit + 1` ICPs with rows have been seen.
    func matchesByKey(range: LocalDateRange, afterIcp: String?, limit: Int) async throws -> [(icp: String, rows: [Row])] {
        let window = range.window
        let prefix = AdapterNamespace.matches.destinationPrefix
        let lowest = afterIcp.map { prefix + $0 } ?? prefix
        // Destinations with the prefix sort below prefix + U+10FFFF.
        let highest = prefix + "\u{10FFFF}"
        return try await index.pool.read { db in
            var groups: [(icp: String, rows: [Row])] = []
            let cursor = try GRDB.Row.fetchCursor(
                db,
                sql: """
                    SELECT destination, reference, type, mantissa, scale, value FROM records INDEXED BY records_by_destination
                    WHERE destination > ? AND destination < ? AND t_ms >= ? AND t_ms < ? AND source = ?
                    ORDER BY destination
                    """,
                arguments: [lowest, highest, window.start, window.end, AdapterNamespace.matches.sourceId])
            while let row = try cursor.next() {
                let parsed = try Self.row(row, json: "")
                if groups.last?.icp != AdapterNamespace.matches.key(ofDestination: parsed.destination) {
                    if groups.count == limit + 1 { break }
                    groups.append((AdapterNamespace.matches.key(ofDestination: parsed.destination) ?? parsed.destination, []))
                }
                groups[groups.count - 1].rows.append(parsed)
            }
            return groups
        }
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
