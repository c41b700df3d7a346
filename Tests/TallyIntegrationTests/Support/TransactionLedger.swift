import TallyAdapters
import TallyCore

/// Transactions as a file would hold them, the records the transactions
/// importer makes of them (its contract: recordId `txn:<account>:<id>`,
/// source `transactions`, destination `account:<account>`, positive for a
/// credit, negative for a debit, value |amount|, unit the currency,
/// reference the month, time the date at midnight UTC), and the exact
/// oracle of each account's report, in integer cents.
struct TransactionLedger {
    struct Row {
        let account: String
        let id: String
        /// `YYYY-MM-DD`.
        let date: String
        /// The signed amount in cents.
        let cents: Int
        let currency: String
        /// Write the value without trailing fraction zeros ("10", "60.5").
        var trimmed = false
    }

    var rows: [Row] = []

    /// What the report of one currency must say.
    struct Expected: Equatable {
        var balance = 0
        var creditCount = 0
        var creditTotal = 0
        var debitCount = 0
        var debitTotal = 0
        var months: [String: Int] = [:]

        /// Average in cents, half to even; nil without transactions.
        static func average(_ total: Int, _ count: Int) -> Int? {
            guard count > 0 else { return nil }
            let quotient = total / count
            let twiceRemainder = 2 * (total % count)
            if twiceRemainder > count || (twiceRemainder == count && quotient % 2 == 1) { return quotient + 1 }
            return quotient
        }

        var creditAverage: Int? { Self.average(creditTotal, creditCount) }
        var debitAverage: Int? { Self.average(debitTotal, debitCount) }
    }

    var accounts: [String] {
        Array(Set(rows.map(\.account))).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// currency → figures, for one account.
    func expected(account: String) -> [String: Expected] {
        var result: [String: Expected] = [:]
        for row in rows where row.account == account {
            var figures = result[row.currency] ?? Expected()
            figures.balance += row.cents
            if row.cents >= 0 {
                figures.creditCount += 1
                figures.creditTotal += row.cents
            } else {
                figures.debitCount += 1
                figures.debitTotal -= row.cents
            }
            figures.months[String(row.date.prefix(7)), default: 0] += 1
            result[row.currency] = figures
        }
        return result
    }

    /// The record body the importer publishes for `row`.
    static func body(_ row: Row) -> [UInt8] {
        var value = cents(row.cents.magnitude)
        if row.trimmed {
            while value.hasSuffix("0") { value.removeLast() }
            if value.hasSuffix(".") { value.removeLast() }
        }
        var text = "{\"recordId\":" + JSONWriter.quoted("txn:\(row.account):\(row.id)")
        text += ",\"time\":\"\(row.date)T00:00:00Z\",\"sourceId\":" + JSONWriter.quoted(AdapterNamespace.transactions.sourceId)
        text += ",\"destinationId\":" + JSONWriter.quoted(AdapterNamespace.transactions.destination(row.account))
        text += ",\"type\":\"\(row.cents < 0 ? "negative" : "positive")\",\"value\":\"\(value)\""
        text += ",\"unit\":" + JSONWriter.quoted(row.currency) + ",\"reference\":\"\(row.date.prefix(7))\"}"
        return Array(text.utf8)
    }

    var bodies: [[UInt8]] { rows.map(Self.body) }

    /// `1234` → `12.34`, `-5` → `-0.05`.
    static func cents(_ value: Int) -> String {
        (value < 0 ? "-" : "") + cents(value.magnitude)
    }

    static func cents(_ magnitude: UInt) -> String {
        let fraction = magnitude % 100
        return "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }

    /// The transactions system's sample file for one account: +60.5, −10.3, −20.46, +10.
    static func sampleFile(account: String) -> [Row] {
        [
            Row(account: account, id: "0", date: "2026-07-15", cents: 6_050, currency: "USD", trimmed: true),
            Row(account: account, id: "1", date: "2026-07-28", cents: -1_030, currency: "USD", trimmed: true),
            Row(account: account, id: "2", date: "2026-08-02", cents: -2_046, currency: "USD", trimmed: true),
            Row(account: account, id: "3", date: "2026-08-13", cents: 1_000, currency: "USD", trimmed: true),
        ]
    }

    /// `count` random rows for `account` over 2025 (in the past, inside the
    /// dedup window: a record dated ahead of now is refused), in `currencies`.
    static func random(account: String, count: Int, currencies: [String], maxCents: Int, seed: UInt64) -> [Row] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let month = Int.random(in: 1...12, using: &random)
            let day = Int.random(in: 1...28, using: &random)
            return Row(
                account: account, id: "\(index)",
                date: "2025-\(month < 10 ? "0" : "")\(month)-\(day < 10 ? "0" : "")\(day)",
                cents: Int.random(in: -maxCents...maxCents, using: &random),
                currency: currencies[Int.random(in: 0..<currencies.count, using: &random)],
                trimmed: Bool.random(using: &random))
        }
    }
}
