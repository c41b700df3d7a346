import TallyCore

/// The per-account report of the transactions adapter: balance,
/// transactions per month, average credit and average debit — per currency,
/// because amounts in different currencies are never added.
///
/// A transaction is a record of the `transactions` source
/// (``AdapterNamespace/transactions``) whose destination is
/// `account:<account>`: type `positive` is a credit, `negative` a debit,
/// value the amount's magnitude, unit the currency, reference the month
/// (`YYYY-MM`). Made by ``AccountReportBuilder``; rendered as JSON
/// (`json`), as an HTML page (``AccountReportPage``) and as a message on the
/// `reports` exchange (``AccountReportMessage``).
///
/// Every amount of a currency is given with that currency's `scale` fraction
/// digits: 2, or more when the account's amounts themselves have more (so
/// nothing a producer wrote is ever rounded away). Balances and totals are
/// exact at that scale; an average is the exact quotient rounded half to
/// even to it (``AccountReport/averageRounding``).
public struct AccountReport: Sendable, Equatable {
    /// How many transactions fell in one month.
    public struct MonthCount: Sendable, Equatable {
        /// The transactions' reference: `YYYY-MM` as the importer writes it.
        public let month: String
        public let count: Int

        public init(month: String, count: Int) {
            self.month = month
            self.count = count
        }
    }

    /// The credits, or the debits, of one currency. Amounts are magnitudes
    /// (never negative), like the `negative` totals everywhere in the API.
    public struct Flow: Sendable, Equatable {
        public let count: Int
        public let total: ExactDecimal
        /// `total / count` rounded by ``AccountReport/averageRounding``; nil without transactions.
        public let average: ExactDecimal?

        public init(count: Int, total: ExactDecimal, average: ExactDecimal?) {
            self.count = count
            self.total = total
            self.average = average
        }
    }

    /// Everything about the transactions in one currency.
    public struct Currency: Sendable, Equatable {
        /// The records' unit, e.g. `USD`.
        public let currency: String
        /// Fraction digits of every amount below.
        public let scale: Int
        public let transactionCount: Int
        /// Credits − debits, exact; negative when the debits are larger.
        public let balance: ExactDecimal
        public let credits: Flow
        public let debits: Flow
        /// In month order (the `YYYY-MM` text's order).
        public let months: [MonthCount]

        public init(
            currency: String, scale: Int, transactionCount: Int, balance: ExactDecimal, credits: Flow, debits: Flow,
            months: [MonthCount]
        ) {
            self.currency = currency
            self.scale = scale
            self.transactionCount = transactionCount
            self.balance = balance
            self.credits = credits
            self.debits = debits
            self.months = months
        }
    }

    /// The account as the transactions file names it (`42`, not `account:42`).
    public let account: String
    /// Every transaction, all currencies.
    public let transactionCount: Int
    /// Transactions per month, all currencies together.
    public let months: [MonthCount]
    /// In currency-code order.
    public let currencies: [Currency]

    public init(account: String, transactionCount: Int, months: [MonthCount], currencies: [Currency]) {
        self.account = account
        self.transactionCount = transactionCount
        self.months = months
        self.currencies = currencies
    }

    /// The destinationId whose records this report covers.
    public var destinationId: String { AdapterNamespace.transactions.destination(account) }

    /// The fewest fraction digits an amount is shown with: a currency's cents.
    public static let minimumScale = 2
    /// How averages are rounded to the currency's scale: half to even, so
    /// that over many reports ties do not drift one way.
    public static let averageRounding = ExactDecimal.RoundingRule.halfEven
}
