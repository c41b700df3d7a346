import Testing
import TallyAdapters
import TallyCore

private func amount(_ text: String) throws -> ExactDecimal { try ExactDecimal.parse(text) }

/// A transaction as the test writes it: a signed amount, like a file row.
private struct Transaction {
    let signed: String
    let month: String
    var currency = "USD"
}

private func build(_ account: String, _ transactions: [Transaction]) throws -> AccountReport? {
    var builder = AccountReportBuilder()
    for transaction in transactions {
        let negative = transaction.signed.hasPrefix("-")
        let magnitude = negative ? String(transaction.signed.dropFirst()) : transaction.signed
        builder.add(try amount(magnitude), type: negative ? .negative : .positive, currency: transaction.currency, month: transaction.month)
    }
    return builder.report(account: account)
}

/// Cents as decimal text with two fraction digits ("-1234" → "-12.34").
private func centsText(_ cents: Int) -> String {
    let magnitude = cents.magnitude
    let fraction = magnitude % 100
    return (cents < 0 ? "-" : "") + "\(magnitude / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}

/// `total / count` in cents, rounded half to even with integer arithmetic only.
private func halfEvenAverage(cents total: Int, count: Int) -> Int {
    let quotient = total / count
    let twiceRemainder = 2 * (total % count)
    if twiceRemainder > count || (twiceRemainder == count && quotient % 2 == 1) { return quotient + 1 }
    return quotient
}

@Suite struct AccountReportBuilderTests {
    /// The transactions system's sample file (Id,Date,Transaction): +60.5 on 7/15, −10.3 on
    /// 7/28, −20.46 on 8/2, +10 on 8/13.
    @Test func theSampleFileGivesTheExpectedFigures() throws {
        let report = try #require(try build("42", [
            Transaction(signed: "60.5", month: "2026-07"), Transaction(signed: "-10.3", month: "2026-07"),
            Transaction(signed: "-20.46", month: "2026-08"), Transaction(signed: "10", month: "2026-08"),
        ]))
        #expect(report.account == "42")
        #expect(report.destinationId == "account:42")
        #expect(report.transactionCount == 4)
        #expect(report.months == [.init(month: "2026-07", count: 2), .init(month: "2026-08", count: 2)])
        let usd = try #require(report.currencies.first)
        #expect(report.currencies.count == 1)
        #expect(usd.currency == "USD")
        #expect(usd.scale == 2)
        #expect(usd.balance.description == "39.74")
        #expect(usd.credits.count == 2)
        #expect(usd.credits.total.description == "70.50")
        #expect(usd.credits.average?.description == "35.25")
        #expect(usd.debits.count == 2)
        #expect(usd.debits.total.description == "30.76")
        #expect(usd.debits.average?.description == "15.38")
        #expect(usd.months == report.months)
    }

    @Test func averagesAreRoundedHalfToEvenAtTheCurrencyScale() throws {
        // 0.03 / 2 = 0.015 → 0.02; 0.05 / 2 = 0.025 → 0.02; 10 / 3 → 3.33.
        let a = try #require(try build("a", [Transaction(signed: "0.01", month: "m"), Transaction(signed: "0.02", month: "m")]))
        #expect(a.currencies[0].credits.average?.description == "0.02")
        let b = try #require(try build("b", [Transaction(signed: "-0.01", month: "m"), Transaction(signed: "-0.04", month: "m")]))
        #expect(b.currencies[0].debits.average?.description == "0.02")
        let c = try #require(try build("c", [
            Transaction(signed: "3", month: "m"), Transaction(signed: "3", month: "m"), Transaction(signed: "4", month: "m"),
        ]))
        #expect(c.currencies[0].credits.average?.description == "3.33")
        #expect(c.currencies[0].balance.description == "10.00")
    }

    @Test func amountsWithMoreDecimalsRaiseTheScaleSoNothingIsRoundedAway() throws {
        let report = try #require(try build("btc", [
            Transaction(signed: "0.125", month: "m", currency: "BTC"), Transaction(signed: "0.5", month: "m", currency: "BTC"),
            Transaction(signed: "-0.0001", month: "m", currency: "BTC"),
        ]))
        let btc = report.currencies[0]
        #expect(btc.scale == 4)
        #expect(btc.balance.description == "0.6249")
        #expect(btc.credits.total.description == "0.6250")
        #expect(btc.credits.average?.description == "0.3125")
        #expect(btc.debits.average?.description == "0.0001")
    }

    @Test func currenciesAreKeptApartAndMonthsAddUpAcrossThem() throws {
        let report = try #require(try build("multi", [
            Transaction(signed: "100", month: "2026-02", currency: "USD"),
            Transaction(signed: "-40", month: "2026-01", currency: "USD"),
            Transaction(signed: "7.5", month: "2026-01", currency: "EUR"),
        ]))
        #expect(report.currencies.map(\.currency) == ["EUR", "USD"])
        #expect(report.currencies[0].balance.description == "7.50")
        #expect(report.currencies[0].debits.average == nil)
        #expect(report.currencies[0].debits.count == 0)
        #expect(report.currencies[0].debits.total.description == "0.00")
        #expect(report.currencies[1].balance.description == "60.00")
        #expect(report.currencies[1].months == [.init(month: "2026-01", count: 1), .init(month: "2026-02", count: 1)])
        #expect(report.months == [.init(month: "2026-01", count: 2), .init(month: "2026-02", count: 1)])
        #expect(report.transactionCount == 3)
    }

    @Test func aBalanceCanBeNegative() throws {
        let report = try #require(try build("o", [Transaction(signed: "5", month: "m"), Transaction(signed: "-12.345", month: "m")]))
        #expect(report.currencies[0].balance.description == "-7.345")
        #expect(report.currencies[0].balance.isNegative)
    }

    @Test func noTransactionsIsNoReport() {
        #expect(AccountReportBuilder().report(account: "x") == nil)
        var builder = AccountReportBuilder()
        builder.add(count: 0, total: .zero, type: .positive, currency: "USD", month: "m")
        #expect(builder.report(account: "x") == nil)
    }

    /// Random accounts: the report equals an oracle computed in integer
    /// cents, and adding pre-summed groups (what the SQL does) gives the same
    /// report as adding the transactions one by one.
    @Test func randomAccountsMatchAnIntegerOracleWhetherFedOneByOneOrInGroups() throws {
        var random = SplitMix64(seed: 20_260_715)
        for round in 0..<200 {
            let currencies = ["EUR", "USD", "GBP"].prefix(Int.random(in: 1...3, using: &random))
            var transactions: [Transaction] = []
            for _ in 0..<Int.random(in: 1...60, using: &random) {
                let cents = Int.random(in: -500_000...500_000, using: &random)
                transactions.append(Transaction(
                    signed: centsText(cents), month: "2026-0\(Int.random(in: 1...9, using: &random))",
                    currency: currencies.randomElement(using: &random)!))
            }
            let oneByOne = try #require(try build("r\(round)", transactions))

            var grouped = AccountReportBuilder()
            var groups: [String: (count: Int, total: ExactDecimal, type: RecordType, currency: String, month: String)] = [:]
            for transaction in transactions {
                let negative = transaction.signed.hasPrefix("-")
                let key = "\(transaction.currency)|\(transaction.month)|\(negative)"
                var group = groups[key] ?? (0, ExactDecimal.zero, negative ? .negative : .positive, transaction.currency, transaction.month)
                group.count += 1
                group.total += try amount(negative ? String(transaction.signed.dropFirst()) : transaction.signed)
                groups[key] = group
            }
            for group in groups.values {
                grouped.add(count: group.count, total: group.total, type: group.type, currency: group.currency, month: group.month)
            }
            #expect(grouped.report(account: "r\(round)") == oneByOne)

            for section in oneByOne.currencies {
                let cents = transactions.filter { $0.currency == section.currency }.map { transaction -> Int in
                    let digits = transaction.signed.filter { $0 != "." && $0 != "-" }
                    return (transaction.signed.hasPrefix("-") ? -1 : 1) * Int(digits)!
                }
                let credits = cents.filter { $0 >= 0 }
                let debits = cents.filter { $0 < 0 }.map { -$0 }
                #expect(section.balance.description == centsText(cents.reduce(0, +)))
                #expect(section.credits.count == credits.count)
                #expect(section.debits.count == debits.count)
                #expect(section.credits.total.description == centsText(credits.reduce(0, +)))
                #expect(section.debits.total.description == centsText(debits.reduce(0, +)))
                #expect(section.credits.average?.description
                    == (credits.isEmpty ? nil : centsText(halfEvenAverage(cents: credits.reduce(0, +), count: credits.count))))
                #expect(section.debits.average?.description
                    == (debits.isEmpty ? nil : centsText(halfEvenAverage(cents: debits.reduce(0, +), count: debits.count))))
                let months = Dictionary(grouping: transactions.filter { $0.currency == section.currency }, by: \.month)
                #expect(section.months == months.keys.sorted().map { AccountReport.MonthCount(month: $0, count: months[$0]!.count) })
            }
            #expect(oneByOne.transactionCount == transactions.count)
        }
    }
}
