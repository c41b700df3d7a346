import GRDB
import TallyCore

/// Exact sums of the index's values, grouped: the one place the index adds
/// values up, for the aggregations and every view.
///
/// A value is stored as an Int64 mantissa and a scale when it fits, as text
/// otherwise (``IndexedValue``). The fast path lets SQLite add the
/// mantissas per group and scale — integer `SUM` is exact and raises on
/// overflow — and recombines the scales with ``ExactDecimal``, adding the
/// few text values of a group from their text. If a sum overflows, every
/// value of the selection is added one by one instead. Neither path ever
/// rounds or wraps.
struct ExactSumQuery {
    /// The columns that name a group, e.g. `["destination", "unit", "type"]`.
    let groupBy: [String]
    /// What to read, e.g. `records INDEXED BY records_by_destination`.
    let table: String
    let filter: SQLFilter

    /// One group: its columns' values (in ``groupBy`` order), the exact
    /// sum of its values and how many rows it has.
    struct Group {
        let key: [DatabaseValue]
        var total = ExactDecimal.zero
        var count = 0

        func string(_ column: Int) -> String { String.fromDatabaseValue(key[column]) ?? "" }
        func int(_ column: Int) -> Int { Int.fromDatabaseValue(key[column]) ?? 0 }
    }

    /// Visits the groups in the order of their columns (SQLite's byte
    /// order for text) until `visit` returns false.
    ///
    /// - Parameter restart: called when a sum overflowed after groups were
    ///   already visited: forget them, they are visited again, exactly.
    func run(_ db: Database, restart: () -> Void, visit: (Group) throws -> Bool) throws {
        do {
            try summed(db, visit: visit)
        } catch let error as DatabaseError where error.message?.contains("integer overflow") == true {
            restart()
            try valueByValue(db, visit: visit)
        }
    }

    private var columns: String { groupBy.joined(separator: ", ") }

    /// The fast path: SQL integer sums per group and scale.
    private func summed(_ db: Database, visit: (Group) throws -> Bool) throws {
        let sql = """
            SELECT \(columns), scale, SUM(mantissa), COUNT(*), COUNT(mantissa)
            FROM \(table) \(filter.whereClause)
            GROUP BY \(columns), scale ORDER BY \(columns)
            """
        let width = groupBy.count
        var current: Group?
        var hasTextValues = false
        func finish() throws -> Bool {
            guard var group = current else { return true }
            if hasTextValues { try addTextValues(of: &group, db) }
            current = nil
            hasTextValues = false
            return try visit(group)
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(filter.arguments))
        while let row = try rows.next() {
            let key = (0..<width).map { row[$0] as DatabaseValue }
            if let group = current, !Self.sameKey(group.key, key) {
                guard try finish() else { return }
            }
            if current == nil { current = Group(key: key) }
            let count: Int = row[width + 2]
            let withMantissa: Int = row[width + 3]
            current!.count += count
            if withMantissa > 0 {
                current!.total += IndexedValue.decimal(mantissa: row[width + 1], scale: row[width])
            }
            if withMantissa < count { hasTextValues = true }
        }
        _ = try finish()
    }

    /// Adds the values of `group` too long for an Int64, from their text.
    private func addTextValues(of group: inout Group, _ db: Database) throws {
        var only = filter
        for (column, value) in zip(groupBy, group.key) { only.add("\(column) = ?", [value]) }
        only.add("mantissa IS NULL", [])
        let values = try String.fetchCursor(
            db, sql: "SELECT value FROM \(table) \(only.whereClause)", arguments: StatementArguments(only.arguments))
        while let value = try values.next() { group.total += try ExactDecimal.parse(value) }
    }

    /// The slow path, for when an Int64 sum overflowed: row by row, exact.
    private func valueByValue(_ db: Database, visit: (Group) throws -> Bool) throws {
        let sql = "SELECT \(columns), mantissa, scale, value FROM \(table) \(filter.whereClause) ORDER BY \(columns)"
        let width = groupBy.count
        var current: Group?
        let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(filter.arguments))
        while let row = try rows.next() {
            let key = (0..<width).map { row[$0] as DatabaseValue }
            if let group = current, !Self.sameKey(group.key, key) {
                guard try visit(group) else { return }
                current = nil
            }
            if current == nil { current = Group(key: key) }
            if let mantissa = row[width] as Int64? {
                current!.total += IndexedValue.decimal(mantissa: mantissa, scale: row[width + 1])
            } else {
                current!.total += try ExactDecimal.parse(row[width + 2] as String)
            }
            current!.count += 1
        }
        if let group = current { _ = try visit(group) }
    }

    /// Compares keys as SQLite does, text by its bytes: Swift's `==` on
    /// `String` would merge canonically equivalent identifiers.
    static func sameKey(_ a: [DatabaseValue], _ b: [DatabaseValue]) -> Bool {
        zip(a, b).allSatisfy { left, right in
            switch (left.storage, right.storage) {
            case (.string(let x), .string(let y)): x.utf8.elementsEqual(y.utf8)
            case (.int64(let x), .int64(let y)): x == y
            case (.null, .null): true
            default: false
            }
        }
    }
}
