import GRDB
import TallyAdapters
import TallyCore

/// The vendor views' reads of the index: per-type totals
/// of the vendor adapter's records, per user and unit, exact.
///
/// ``ExactSumQuery`` sums the values per (user, unit, type) through the
/// partial index ``VendorViewIndex``; ``VendorBalance`` combines the types.
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

    /// Users (and units) whose requested payouts total above zero, in
    /// (userId, unit) order, after the cursor's position, in `unit` if
    /// given: at most `limit + 1` entries (one more than a page, so the
    /// caller sees whether more follow and whether a user's units straddle
    /// the page's end). Only `payout` records are read.
    static func payoutTotals(after: VendorPayoutsCursor.Position?, unit: String?, limit: Int, _ db: Database) throws -> [Entry] {
        var condition = "reference = 'payout'"
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let unit {
            condition += " AND unit = ?"
            arguments.append(unit)
        }
        if let after {
            condition += " AND (destination, unit) > (?, ?)"
            arguments += [after.destination, after.unit]
        }
        var found = 0
        return try collect(condition: condition, arguments: arguments, db) { entry in
            guard ExactDecimal.zero < entry.balance.payout else { return false }
            found += 1
            return true
        } stopAfter: { found > limit }
    }

    /// Groups the vendor records matching `condition` by (user, unit), in
    /// that order, keeping the entries `keep` accepts until `stopAfter` holds.
    private static func collect(
        condition: String, arguments: [(any DatabaseValueConvertible)?], _ db: Database,
        keep: (Entry) -> Bool, stopAfter: () -> Bool = { false }
    ) throws -> [Entry] {
        var filter = SQLFilter()
        filter.add("source = \(VendorViewIndex.sourceLiteral)", [])
        filter.add(condition, arguments)
        var kept: [Entry] = []
        var current: Entry?
        /// Ends the entry being built; false once enough are kept.
        func finish() -> Bool {
            if let entry = current, keep(entry) { kept.append(entry) }
            current = nil
            return !stopAfter()
        }
        try ExactSumQuery(
            groupBy: ["destination", "unit", "reference"], table: "records INDEXED BY \(VendorViewIndex.name)", filter: filter
        ).run(db, restart: { kept = []; current = nil }) { group in
            let (destination, unit) = (group.string(0), group.string(1))
            if let entry = current, !(entry.destination.utf8.elementsEqual(destination.utf8) && entry.unit.utf8.elementsEqual(unit.utf8)) {
                guard finish() else { return false }
            }
            if current == nil { current = Entry(destination: destination, unit: unit) }
            current!.count += group.count
            current!.balance.add(group.total, reference: group.string(2))
            return true
        }
        _ = finish()
        return kept
    }
}
