import TallyCore

/// Builds an ``AccountReport`` from an account's transactions, given one by
/// one or already summed in groups. Pure: the aggregator feeds it the sums
/// its SQL computed, the tests feed it transactions and compare.
///
/// Feeding a group (count n, total t) is the same as feeding its n
/// transactions one at a time: everything the report holds is a sum or a
/// count until ``report(account:)`` divides, once, for the averages.
public struct AccountReportBuilder: Sendable {
    private struct FlowSums: Sendable {
        var count = 0
        var total = ExactDecimal.zero
    }

    private struct CurrencySums: Sendable {
        var credits = FlowSums()
        var debits = FlowSums()
        /// The largest scale among the amounts (or sums) added.
        var amountScale = 0
        var months: [String: Int] = [:]
    }

    /// By bytes: currencies that differ only by Unicode normalisation are
    /// two currencies, as in the index (never added together).
    private var currencies: [ExactText: CurrencySums] = [:]

    public init() {}

    /// Adds `count` transactions of one currency, month and direction whose
    /// amounts sum to `total` (a magnitude). `type` positive is a credit.
    ///
    /// `total` must carry the largest scale of its amounts, as the sum of
    /// the amounts does (`10.50 + 1` is `11.50`): that scale is the
    /// currency's display scale when above ``AccountReport/minimumScale``.
    public mutating func add(count: Int, total: ExactDecimal, type: RecordType, currency: String, month: String) {
        guard count > 0 else { return }
        var sums = currencies[ExactText(currency)] ?? CurrencySums()
        switch type {
        case .positive:
            sums.credits.count += count
            sums.credits.total += total
        case .negative:
            sums.debits.count += count
            sums.debits.total += total
        }
        sums.amountScale = max(sums.amountScale, total.scale)
        sums.months[month, default: 0] += count
        currencies[ExactText(currency)] = sums
    }

    /// Adds one transaction.
    public mutating func add(_ amount: ExactDecimal, type: RecordType, currency: String, month: String) {
        add(count: 1, total: amount, type: type, currency: currency, month: month)
    }

    /// The report, or nil when nothing was added (an unknown account).
    public func report(account: String) -> AccountReport? {
        guard !currencies.isEmpty else { return nil }
        var allMonths: [String: Int] = [:]
        var total = 0
        let sections = currencies.keys.sorted().map { key -> AccountReport.Currency in
            let currency = key.string
            let sums = currencies[key]!
            for (month, count) in sums.months { allMonths[month, default: 0] += count }
            let count = sums.credits.count + sums.debits.count
            total += count
            let scale = max(AccountReport.minimumScale, sums.amountScale)
            return AccountReport.Currency(
                currency: currency, scale: scale, transactionCount: count,
                // Padding only: `scale` is at least every amount's scale.
                balance: (sums.credits.total - sums.debits.total).rounded(toScale: scale),
                credits: Self.flow(sums.credits, scale: scale), debits: Self.flow(sums.debits, scale: scale),
                months: Self.monthCounts(sums.months))
        }
        return AccountReport(account: account, transactionCount: total, months: Self.monthCounts(allMonths), currencies: sections)
    }

    private static func flow(_ sums: FlowSums, scale: Int) -> AccountReport.Flow {
        AccountReport.Flow(
            count: sums.count, total: sums.total.rounded(toScale: scale),
            average: sums.total.divided(by: ExactDecimal(sums.count), scale: scale, rounding: AccountReport.averageRounding))
    }

    private static func monthCounts(_ months: [String: Int]) -> [AccountReport.MonthCount] {
        months.keys.sorted(by: byteOrder).map { AccountReport.MonthCount(month: $0, count: months[$0]!) }
    }

    /// UTF-8 byte order: `YYYY-MM` sorts by time, and the order does not
    /// depend on Unicode normalisation.
    private static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
