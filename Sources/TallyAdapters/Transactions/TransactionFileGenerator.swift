import TallyCore

/// A transactions file of any size, made up but in the very format
/// `tally import transactions` reads (``TransactionRowMapper``), for tests,
/// demos and benchmarks: `tally generate transactions`.
///
/// Rows come one at a time, so a file of millions costs constant memory;
/// the same seed gives the same bytes on every machine (``SplitMix64``).
/// Each row: a unique id (1, 2, …), a date in the `days` from `firstDay`
/// (the workers refuse dates outside their dedup window: with the default
/// 7-day window, generate the last week's dates),
/// an amount of 0.01…2,000.00 with two decimals, a credit three times in
/// five and a debit otherwise, one of `accounts` accounts (`1`…`N`), one of
/// `currencies`.
public struct TransactionFileGenerator: Sendable {
    public static let header = "id,date,amount,account,currency"

    public let accounts: Int
    public let currencies: [String]
    private let firstDay: Int64
    private let days: Int
    private var random: SplitMix64
    private var nextId = 1

    /// - Parameters:
    ///   - firstDay: days since 1970-01-01 of the earliest date (default
    ///     2025-01-01: in the past, as the fleet's dedup window requires).
    ///   - days: how many days the dates spread over.
    public init(accounts: Int, currencies: [String] = ["USD"], seed: UInt64, firstDay: Int64 = 20_089, days: Int = 365) {
        precondition(accounts > 0 && !currencies.isEmpty && days > 0)
        self.accounts = accounts
        self.currencies = currencies
        self.firstDay = firstDay
        self.days = days
        random = SplitMix64(seed: seed)
    }

    /// The next row, without a line end.
    public mutating func nextRow() -> String {
        let id = nextId
        nextId += 1
        let (year, month, day) = CivilDate.civilFromDays(firstDay + Int64(random.below(days)))
        let cents = 1 + random.below(200_000)
        let sign = random.below(5) < 3 ? "" : "-"
        let fraction = cents % 100
        let amount = "\(sign)\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
        let account = 1 + random.below(accounts)
        let currency = currencies[random.below(currencies.count)]
        return "\(id),\(year)-\(Self.two(month))-\(Self.two(day)),\(amount),\(account),\(currency)"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
