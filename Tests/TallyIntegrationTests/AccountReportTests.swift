import Foundation
import Testing
import TallyAdapters
import TallyCore

/// The per-account report through the real fleet: records as the
/// transactions importer publishes them → a real `tally-worker` → Redis log
/// → a real `tally-aggregator`; the HTML page rendered by a real headless
/// browser (chromium) and every figure checked against an exact oracle;
/// `tally report accounts` publishing one confirmed message per account.
@Suite(.serialized, .timeLimit(.minutes(5)))
struct AccountReportTests {
    static let hostile = "<b>\"O'Brien\" & co</b>"
    static let unicode = "ünï cødé/7"

    /// Three accounts: the transactions sample; a hostile name with two
    /// currencies; large amounts in one currency. Plus one record of another
    /// source on account 42's destination, which no report may count.
    static func ledger() -> TransactionLedger {
        var ledger = TransactionLedger()
        ledger.rows += TransactionLedger.sampleFile(account: "42")
        ledger.rows += TransactionLedger.random(account: hostile, count: 40, currencies: ["EUR", "USD"], maxCents: 50_000, seed: 11)
        ledger.rows += TransactionLedger.random(account: unicode, count: 30, currencies: ["USD"], maxCents: 250_000_000, seed: 12)
        return ledger
    }

    static let foreignRecord = Array(
        """
        {"recordId":"vendor-1","time":"2026-07-20T00:00:00Z","sourceId":"vendor","destinationId":"account:42",\
        "type":"positive","value":"1000","unit":"USD","reference":"2026-07"}
        """.utf8)

    /// A worker and an aggregator fed the ledger twice (a re-import): each
    /// record must count once.
    private func fleet(_ environment: TestEnvironment, _ ledger: TransactionLedger) throws -> (WorkerProcess, AggregatorProcess) {
        try environment.declareTopology()
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        try environment.publish(ledger.bodies + [Self.foreignRecord])
        try environment.publish(ledger.bodies)
        try aggregator.waitUntilCaughtUp(records: ledger.rows.count + 1)
        return (worker, aggregator)
    }

    static func encoded(_ account: String) -> String {
        let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        return account.addingPercentEncoding(withAllowedCharacters: unreserved)!
    }

    /// A figure as the page shows it, back to cents: "-1,234.50" → -123450.
    private func cents(_ shown: String?) throws -> Int {
        let shown = try #require(shown)
        let digits = shown.filter { $0 != "," }
        let value = try ExactDecimal.parse(digits)
        #expect(value.scale == 2, "\(shown) has two decimals")
        return Int(digits.filter { $0 != "." })!
    }

    @Test func theHTMLReportRenderedByAHeadlessBrowserShowsTheExactFigures() throws {
        let environment = TestEnvironment("acct-html")
        defer { environment.cleanUp() }
        let ledger = Self.ledger()
        let (_, aggregator) = try fleet(environment, ledger)

        for account in ledger.accounts {
            let dom = try HeadlessBrowser.renderedDOM(
                ofHTML: try aggregator.get("/v1/accounts/\(Self.encoded(account))/report.html").text)
            let page = RenderedReport(dom: dom)
            // The name is text in the browser's DOM (serialized escaped),
            // never markup: no <b> element was created from it.
            let shownName = account.replacingOccurrences(of: "&", with: "&amp;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            #expect(RenderedReport.field("account", in: dom[...]) == shownName)
            #expect(!dom.contains("<b>"))
            #expect(RenderedReport.field("transactionCount", in: dom[...]) == "\(ledger.rows.filter { $0.account == account }.count)")

            let expected = ledger.expected(account: account)
            #expect(dom.components(separatedBy: "<section class=\"currency\"").count - 1 == expected.count)
            for (currency, figures) in expected {
                let section = try #require(page.section(currency: currency), "\(account): no \(currency) section")
                #expect(try cents(RenderedReport.field("balance", in: section)) == figures.balance, "\(account) \(currency) balance")
                #expect(RenderedReport.field("credits-count", in: section) == "\(figures.creditCount)")
                #expect(RenderedReport.field("debits-count", in: section) == "\(figures.debitCount)")
                #expect(try cents(RenderedReport.field("credits-total", in: section)) == figures.creditTotal)
                #expect(try cents(RenderedReport.field("debits-total", in: section)) == -figures.debitTotal)
                if let average = figures.creditAverage {
                    #expect(try cents(RenderedReport.field("credits-average", in: section)) == average, "\(account) \(currency) average credit")
                } else {
                    #expect(RenderedReport.field("credits-average", in: section) == "—")
                }
                if let average = figures.debitAverage {
                    #expect(try cents(RenderedReport.field("debits-average", in: section)) == -average, "\(account) \(currency) average debit")
                } else {
                    #expect(RenderedReport.field("debits-average", in: section) == "—")
                }
                #expect(RenderedReport.monthCounts(in: section) == figures.months.mapValues { "\($0)" }, "\(account) \(currency) months")
            }
        }

        // The transactions sample's own numbers, literally (the other source's 1000 USD left out).
        let seed = RenderedReport(dom: try HeadlessBrowser.renderedDOM(ofHTML: try aggregator.get("/v1/accounts/42/report.html").text))
        let usd = try #require(seed.section(currency: "USD"))
        #expect(RenderedReport.field("balance", in: usd) == "39.74")
        #expect(RenderedReport.field("credits-average", in: usd) == "35.25")
        #expect(RenderedReport.field("debits-average", in: usd) == "-15.38")
        #expect(RenderedReport.monthCounts(in: usd) == ["2026-07": "2", "2026-08": "2"])
        #expect(seed.dom.contains("July 2026"))
    }

    @Test func theJSONReportAndTheAccountListMatchTheOracle() throws {
        let environment = TestEnvironment("acct-json")
        defer { environment.cleanUp() }
        let ledger = Self.ledger()
        let (_, aggregator) = try fleet(environment, ledger)

        let list = try aggregator.get("/v1/accounts?limit=2")
        #expect(list.status == 200)
        var listed: [String] = []
        var page = list
        while true {
            guard case .array(let entries)? = page.json["accounts"] else { throw TestFailure(page.text) }
            for entry in entries {
                guard case .string(let account)? = entry["account"] else { throw TestFailure(page.text) }
                listed.append(account)
            }
            guard case .string(let next)? = page.json["nextCursor"] else { break }
            page = try aggregator.get("/v1/accounts?limit=2&cursor=\(Self.encoded(next))")
        }
        #expect(listed == ledger.accounts)

        for account in ledger.accounts {
            let result = try aggregator.get("/v1/accounts/\(Self.encoded(account))/report")
            #expect(result.status == 200, "\(account): \(result.text)")
            let report = try AccountReport(jsonText: result.body)
            #expect(report.account == account)
            let expected = ledger.expected(account: account)
            #expect(Set(report.currencies.map(\.currency)) == Set(expected.keys))
            for section in report.currencies {
                let figures = try #require(expected[section.currency])
                #expect(section.balance.description == TransactionLedger.cents(figures.balance))
                #expect(section.credits.total.description == TransactionLedger.cents(figures.creditTotal))
                #expect(section.debits.total.description == TransactionLedger.cents(figures.debitTotal))
                #expect(section.credits.average?.description == figures.creditAverage.map { TransactionLedger.cents($0) })
                #expect(section.debits.average?.description == figures.debitAverage.map { TransactionLedger.cents($0) })
                #expect(Dictionary(uniqueKeysWithValues: section.months.map { ($0.month, $0.count) }) == figures.months)
            }
        }
        let unknown = try aggregator.get("/v1/accounts/nobody/report.html")
        #expect(unknown.status == 404)
        #expect(unknown.contentType == "application/problem+json")
    }

    @Test func tallyReportAccountsPublishesOneConfirmedMessagePerAccount() throws {
        let environment = TestEnvironment("acct-publish")
        defer { environment.cleanUp() }
        let ledger = Self.ledger()
        let (worker, aggregator) = try fleet(environment, ledger)
        let tap = try OutputTap(environment, exchange: environment.configuration.topology.reportsExchange)
        let tally = environment.binaries.appendingPathComponent("tally")
        let base = "http://127.0.0.1:\(aggregator.port)"

        let all = try CommandProcess.run(
            tally, ["report", "accounts", "--aggregator", base], environment: environment.workerEnvironment, logName: "report-all")
        #expect(all.status == 0, "\(all.error)")
        #expect(all.output.contains("published 3 account reports"))
        try tap.collect(atLeast: 3)
        #expect(tap.messages.count == 3)
        for account in ledger.accounts {
            let message = try #require(tap.messages.first { $0.routingKey == "account.\(account)" }, "no message for \(account)")
            let body = try JSONParser.parse(message.body)
            #expect(body["type"] == .string("account-report"))
            #expect(body["account"] == .string(account))
            let json = try aggregator.get("/v1/accounts/\(Self.encoded(account))/report")
            #expect(try AccountReport(json: try #require(body["report"])) == (try AccountReport(jsonText: json.body)))
            let html = try aggregator.get("/v1/accounts/\(Self.encoded(account))/report.html")
            #expect(body["html"] == .string(html.text), "the message carries the page the aggregator serves")
            #expect(message.messageId == (try AccountReportMessage(report: AccountReport(jsonText: json.body))).messageId)
        }

        // Named accounts; an unknown one is reported and fails the run, the
        // known one is still sent, with the same id (its report is unchanged).
        let named = try CommandProcess.run(
            tally, ["report", "accounts", "--aggregator", base, "--account", "42", "--account", "nobody"],
            environment: environment.workerEnvironment, logName: "report-named")
        #expect(named.status == 1)
        #expect(named.error.contains("no transactions for: nobody"))
        try tap.collect(atLeast: 4)
        #expect(tap.messages.count == 4)
        #expect(tap.messages[3].routingKey == "account.42")
        #expect(tap.messages[3].messageId == tap.messages.first { $0.routingKey == "account.42" }?.messageId)

        // After an import: the command waits until the report covers the
        // file's transactions, which reach the index only after the fleet.
        let late = TransactionLedger.random(account: "late", count: 5, currencies: ["USD"], maxCents: 10_000, seed: 13)
        let waiting = try CommandProcess(
            tally, ["report", "accounts", "--aggregator", base, "--account", "late", "--minimum-transactions", "5", "--timeout", "60"],
            environment: environment.workerEnvironment, logName: "report-wait")
        try environment.publish(late.map(TransactionLedger.body))
        let waited = try waiting.finish()
        #expect(waited.status == 0, "\(waited.error)")
        try tap.collect(atLeast: 5)
        let lateMessage = try #require(tap.messages.last)
        #expect(lateMessage.routingKey == "account.late")
        let lateReport = try AccountReport(json: try #require(try JSONParser.parse(lateMessage.body)["report"]))
        #expect(lateReport.transactionCount == 5)
        #expect(worker.isRunning)
    }
}
