import GRDB
import TallyAdapters
import TallyCore

/// The vendor views' reads of the index (seeds 003, 004): per-type totals
/// of the vendor adapter's records, per user and unit, exact.
///
/// SQL sums the Int64 mantissas per (user, unit, type, scale) through the
/// partial index ``VendorViewIndex``; ``VendorBalance`` combines them with
/// ``ExactDecimal``. Values too long for Int64 are added from their text;
/// if an SQL sum overflows, the same rows are summed one by one in Swift.
enum VendorViewQueries {
    /// One user's figures in one unit.
    struct Entry: Sendable, Equatable {
        let destination: String
        let unit: String
        var balance = VendorBalance()
        var count = 0
    }

    /// Every unit a user (destination `user:<id>`) has vendor records in, in unit order.
    static func user(_ destination: String, _ db: Database) throws -> [Entry] {
        try collect(condition: "destination = ?", arguments: [destination], db) { _ in true }
    }

    /// Users (and units) with payout − paid_out > 0, in (userId, unit) order,
    /// after the cursor's position; at most `limit`, and whether more follow.
    static func outstanding(after: VendorPayoutsCursor.Position?, limit: Int, _ db: Database) throws -> (entries: [Entry], more: Bool) {
        var condition = "reference IN ('payout', 'paid_out')"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let after {
            condition += " AND (destination, unit) > (?, ?)"
            arguments += [after.destination, after.unit]
        }
        var found = 0
        let entries = try collect(condition: condition, arguments: arguments, db) { entry in
            guard entry.balance.hasOutstandingPayout else { return false }
            found += 1
            return true
        } stopAfter: { found > limit }
        return (Array(entries.prefix(limit)), entries.count > limit)
    }

    /// Groups the vendor records matching `condition` by (user, unit), in
    /// that order, keeping the entries `keep` accepts until `stopAfter` holds.
    private static func collect(
        condition: String, arguments: [(any DatabaseValueConvertible)?], _ db: Database,
        keep: (Entry) -> Bool, stopAfter: () -> Bool = { false }
    ) throws -> [Entry] {
        do {
            var kept: [Entry] = []
            try summed(condition: condition, arguments: arguments, db) { entry in
                if keep(entry) { kept.append(entry) }
                return !stopAfter()
            }
            return kept
        } catch let error as DatabaseError where error.message?.contains("integer overflow") == true {
            var kept: [Entry] = []
            try exact(condition: condition, arguments: arguments, db) { entry in
                if keep(entry) { kept.append(entry) }
                return !stopAfter()
            }
            return kept
        }
    }

    /// The fast path: SQL integer sums per (user, unit, type, scale).
    private static func summed(
        condition: String, arguments: [(any DatabaseValueConvertible)?], _ db: Database, visit: (Entry) throws -> Bool
    ) throws {
        let sql = """
            SELECT destination, unit, reference, scale, SUM(mantissa), COUNT(*), COUNT(mantissa)
            FROM records INDEXED BY \(VendorViewIndex.name)
            WHERE source = \(VendorViewIndex.sourceLiteral) AND \(condition)
            GROUP BY destination, unit, reference, scale
            ORDER BY destination, unit
            """
        var current: Entry?
        var textGroups: [(reference: String, scale: Int)] = []
        func finish() throws -> Bool {
            guard var entry = current else { return true }
            for group in textGroups {
                let values = try String.fetchAll(
                    db,
                    sql: """
                        SELECT value FROM records INDEXED BY \(VendorViewIndex.name)
                        WHERE source = \(VendorViewIndex.sourceLiteral) AND destination = ? AND unit = ? AND reference = ?
                        AND scale = ? AND mantissa IS NULL
                        """,
                    arguments: [entry.destination, entry.unit, group.reference, group.scale])
                for value in values { entry.balance.add(try ExactDecimal.parse(value), reference: group.reference) }
            }
            textGroups = []
            current = nil
            return try visit(entry)
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try rows.next() {
            let destination: String = row[0]
            let unit: String = row[1]
            if current.map({ $0.destination != destination || $0.unit != unit }) ?? true {
                guard try finish() else { return }
                current = Entry(destination: destination, unit: unit)
            }
            let reference: String = row[2]
            let scale: Int = row[3]
            let count: Int = row[5]
            let withMantissa: Int = row[6]
            current?.count += count
            if withMantissa > 0 {
                let sum: Int64 = row[4]
                current?.balance.add(IndexedValue.decimal(mantissa: sum, scale: scale), reference: reference)
            }
            if withMantissa < count { textGroups.append((reference, scale)) }
        }
        _ = try finish()
    }

    /// The slow path, for when an Int64 sum overflowed: row by row, exact.
    private static func exact(
        condition: String, arguments: [(any DatabaseValueConvertible)?], _ db: Database, visit: (Entry) throws -> Bool
    ) throws {
        let sql = """
            SELECT destination, unit, reference, mantissa, scale, value
            FROM records INDEXED BY \(VendorViewIndex.name)
            WHERE source = \(VendorViewIndex.sourceLiteral) AND \(condition)
            ORDER BY destination, unit
            """
        var current: Entry?
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
        while let row = try rows.next() {
            let destination: String = row[0]
            let unit: String = row[1]
            if current.map({ $0.destination != destination || $0.unit != unit }) ?? true {
                if let entry = current, try !visit(entry) { return }
                current = Entry(destination: destination, unit: unit)
            }
            let amount: ExactDecimal
            if let mantissa = row[3] as Int64? {
                amount = IndexedValue.decimal(mantissa: mantissa, scale: row[4])
            } else {
                amount = try ExactDecimal.parse(row[5] as String)
            }
            current?.count += 1
            current?.balance.add(amount, reference: row[2])
        }
        if let entry = current { _ = try visit(entry) }
    }
}
