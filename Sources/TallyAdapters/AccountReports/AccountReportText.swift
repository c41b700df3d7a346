/// The report as plain text: the `text/plain` part of the email, for mail
/// clients that show no HTML and for people who prefer it. The same figures
/// as ``AccountReportPage``, written the same way (``ReportFormatting``:
/// exact digits grouped by thousands, debits with a minus sign).
public enum AccountReportText {
    public static func render(_ report: AccountReport) -> String {
        var text = "Transactions report for account \(report.account)\n"
        text += "\(report.transactionCount) \(report.transactionCount == 1 ? "transaction" : "transactions")\n"
        for currency in report.currencies {
            text += "\n\(currency.currency)\n"
            text += "  Balance:         \(ReportFormatting.amount(currency.balance))\n"
            text += "  Credits:         \(currency.credits.count), total \(ReportFormatting.amount(currency.credits.total)), average \(currency.credits.average.map(ReportFormatting.amount) ?? "—")\n"
            text += "  Debits:          \(currency.debits.count), total \(ReportFormatting.debit(currency.debits.total)), average \(currency.debits.average.map(ReportFormatting.debit) ?? "—")\n"
            text += "  Transactions per month:\n"
            for month in currency.months {
                text += "    \(ReportFormatting.month(month.month)): \(month.count)\n"
            }
        }
        text += "\nBalance is credits minus debits. Balances and totals are exact; an average is the exact quotient "
        text += "rounded half to even to the decimal places shown for its currency. Amounts in different currencies "
        text += "are never added together.\n"
        return text
    }
}
