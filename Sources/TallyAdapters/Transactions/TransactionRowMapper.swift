import TallyCore

/// A transactions file, one row → one record. This mapping is the
/// contract the per-account report is built on.
///
/// Columns (header row required, case-insensitive, any order):
/// `id,date,amount,account` and optionally `currency` (default: the
/// importer's `--currency`, `USD` unless given).
/// - `date`: `YYYY-MM-DD` (taken as `YYYY-MM-DDT00:00:00Z`) or an RFC 3339
///   timestamp (kept as written).
/// - `amount`: a signed exact decimal, optional leading `+`.
///
/// Record: recordId `txn:<account>:<id>`, sourceId `transactions`,
/// destinationId `account:<account>` (``AdapterNamespace/transactions``),
/// type `positive` when amount ≥ 0 (a credit) and `negative` when < 0 (a
/// debit), value |amount|, unit the currency, reference the month `YYYY-MM`.
public struct TransactionRowMapper: Sendable {
    public static let columns = ["id", "date", "amount", "account"]
    public static let optionalColumns = ["currency"]

    let header: CSVHeader
    let defaultCurrency: String
    let limits: RecordLimits

    public init(header fields: [String], defaultCurrency: String = "USD", limits: RecordLimits = RecordLimits()) throws(HeaderRejection) {
        header = try CSVHeader(fields, required: Self.columns, optional: Self.optionalColumns)
        guard !defaultCurrency.isEmpty else { throw HeaderRejection("the default currency is empty") }
        self.defaultCurrency = defaultCurrency
        self.limits = limits
    }

    public func record(_ fields: [String]) throws(RowRejection) -> Record {
        let row = try header.row(fields)
        let id = try AdapterRecord.key(try row.required("id"), column: "id")
        let account = try AdapterRecord.key(try row.required("account"), column: "account")
        let time = try Self.time(try row.required("date"))
        let written = try row.required("amount")
        var amountText = Substring(written)
        let negative = amountText.first == "-"
        if negative || amountText.first == "+" { amountText.removeFirst() }
        guard amountText.first != "+", amountText.first != "-" else {
            throw RowRejection("amount: \"\(written)\" has more than one sign")
        }
        let magnitude = try AdapterRecord.amount(String(amountText), column: "amount")
        let currency = row.optional("currency").flatMap { $0.isEmpty ? nil : $0 } ?? defaultCurrency
        return try AdapterRecord.make(
            recordId: "txn:\(account):\(id)", time: time, namespace: .transactions, key: account,
            type: negative && !magnitude.isZero ? .negative : .positive, value: magnitude, unit: currency,
            reference: String(time.text.prefix(7)), limits: limits)
    }

    /// `YYYY-MM-DD` → midnight UTC; anything longer must be RFC 3339.
    static func time(_ text: String) throws(RowRejection) -> ProducerTimestamp {
        if text.utf8.count == 10 {
            return try ProducerTimestamp(text + "T00:00:00Z", column: "date")
        }
        guard text.utf8.count > 10, text.dropFirst(10).first == "T" || text.dropFirst(10).first == "t" else {
            throw RowRejection("date: \"\(text)\" is neither YYYY-MM-DD nor an RFC 3339 timestamp")
        }
        // Strict RFC 3339 first: ProducerTimestamp alone would also take the
        // readings file's `+12`-style offsets, which this column does not.
        do {
            _ = try RFC3339Timestamp.parse(text)
        } catch {
            throw RowRejection("date: \"\(text)\" is not an RFC 3339 timestamp (\(error))")
        }
        return try ProducerTimestamp(text, column: "date")
    }
}
