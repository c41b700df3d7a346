import Foundation
import Testing
import TallyAdapters
import TallyCore

/// The transactions sample plus a EUR transaction, for an account named to break
/// any unescaped HTML.
private func sampleReport(account: String = "42") throws -> AccountReport {
    var builder = AccountReportBuilder()
    builder.add(try ExactDecimal.parse("60.5"), type: .positive, currency: "USD", month: "2026-07")
    builder.add(try ExactDecimal.parse("10.3"), type: .negative, currency: "USD", month: "2026-07")
    builder.add(try ExactDecimal.parse("20.46"), type: .negative, currency: "USD", month: "2026-08")
    builder.add(try ExactDecimal.parse("10"), type: .positive, currency: "USD", month: "2026-08")
    builder.add(try ExactDecimal.parse("1234567.5"), type: .positive, currency: "EUR", month: "2026-08")
    return try #require(builder.report(account: account))
}

@Suite struct AccountReportJSONTests {
    @Test func rendersTheDocumentedShape() throws {
        let json = try sampleReport().json
        #expect(json.hasPrefix("{\"account\":\"42\",\"destinationId\":\"account:42\",\"transactionCount\":5,"))
        #expect(json.contains("{\"currency\":\"USD\",\"scale\":2,\"transactionCount\":4,\"balance\":\"39.74\","
            + "\"credits\":{\"count\":2,\"total\":\"70.50\",\"average\":\"35.25\"},"
            + "\"debits\":{\"count\":2,\"total\":\"30.76\",\"average\":\"15.38\"},"
            + "\"months\":[{\"month\":\"2026-07\",\"count\":2},{\"month\":\"2026-08\",\"count\":2}]}"))
        #expect(json.contains("\"debits\":{\"count\":0,\"total\":\"0.00\",\"average\":null}"))
        #expect(json.hasSuffix("\"averageRounding\":\"half-even\"}"))
        #expect((try? JSONParser.parse(json)) != nil)
    }

    @Test func roundTripsExactlyThroughItsJSON() throws {
        for account in ["42", "<b>\"O'Brien\" & co</b>", "ünï/cødé %41"] {
            let report = try sampleReport(account: account)
            let decoded = try AccountReport(jsonText: Array(report.json.utf8))
            #expect(decoded == report)
            #expect(decoded.json == report.json)
        }
    }

    @Test func aBrokenDocumentNamesTheField() throws {
        func failure(_ text: String) -> AccountReportFormatError? {
            do {
                _ = try AccountReport(jsonText: Array(text.utf8))
                return nil
            } catch {
                return error
            }
        }
        let json = try sampleReport().json
        #expect(failure("not json")?.field == "(document)")
        #expect(failure("[]")?.field == "(document)")
        #expect(failure(json.replacingOccurrences(of: "\"account\":\"42\",", with: ""))?.field == "account")
        #expect(failure(json.replacingOccurrences(of: "\"average\":\"35.25\"", with: "\"average\":35.25"))?.field
            == "currencies[1].credits.average")
        #expect(failure(json.replacingOccurrences(of: "\"balance\":\"39.74\"", with: "\"balance\":\"1e\""))?.field
            == "currencies[1].balance")
        #expect(failure(json.replacingOccurrences(of: "\"transactionCount\":5", with: "\"transactionCount\":-5"))?.field
            == "transactionCount")
    }
}

@Suite struct AccountReportPageTests {
    @Test func showsEveryFigureWithItsDataField() throws {
        let html = AccountReportPage.render(try sampleReport())
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<span data-field=\"account\">42</span>"))
        #expect(html.contains("<span data-field=\"transactionCount\">5</span> transactions, July 2026 – August 2026"))
        #expect(html.contains("<section class=\"currency\" data-currency=\"USD\">"))
        #expect(html.contains("<span data-field=\"balance\">39.74</span>"))
        #expect(html.contains("<span data-field=\"balance\">1,234,567.50</span>"))
        #expect(html.contains("data-field=\"credits-average\">35.25</td>"))
        #expect(html.contains("data-field=\"debits-average\">-15.38</td>"))
        #expect(html.contains("data-field=\"debits-total\">-30.76</td>"))
        #expect(html.contains("data-field=\"debits-average\">—</td>"))
        #expect(html.contains("<tr data-month=\"2026-07\"><td>July 2026</td><td class=\"num\" data-field=\"month-count\">2</td></tr>"))
        // Two currencies: a section for the months of both.
        #expect(html.contains("<section class=\"all-currencies\">"))
        #expect(html.contains("<tr data-month=\"2026-08\"><td>August 2026</td><td class=\"num\" data-field=\"month-count\">3</td></tr>"))
    }

    @Test func isSelfContained() throws {
        let html = AccountReportPage.render(try sampleReport()).lowercased()
        for external in ["<script", "<link", "<img", "src=", "href=", "url(", "@import"] {
            #expect(!html.contains(external), "found \(external)")
        }
        #expect(html.contains("<style>"))
        #expect(html.contains("<meta charset=\"utf-8\">"))
    }

    @Test func escapesEveryTextFromTheData() throws {
        let hostile = "<script>alert(\"x\")</script>&'"
        var builder = AccountReportBuilder()
        builder.add(ExactDecimal(5), type: .positive, currency: "<i>US\"D", month: "<b>2026-07</b>")
        let html = AccountReportPage.render(try #require(builder.report(account: hostile)))
        #expect(!html.contains("<script"))
        #expect(!html.contains("<i>"))
        #expect(!html.contains("<b>"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"))
        #expect(html.contains("data-currency=\"&lt;i&gt;US&quot;D\""))
        #expect(html.contains("<tr data-month=\"&lt;b&gt;2026-07&lt;/b&gt;\"><td>&lt;b&gt;2026-07&lt;/b&gt;</td>"))
    }

    @Test func oneCurrencyHasNoAllCurrenciesSection() throws {
        var builder = AccountReportBuilder()
        builder.add(ExactDecimal(5), type: .positive, currency: "USD", month: "2026-07")
        let html = AccountReportPage.render(try #require(builder.report(account: "1")))
        #expect(!html.contains("all-currencies"))
        #expect(html.contains("<span data-field=\"transactionCount\">1</span> transaction, July 2026</p>"))
    }
}

@Suite struct HTMLTextTests {
    @Test func escapesMarkupQuotesAndControls() {
        #expect(HTMLText.escaped("a & b < c > d \" e ' f") == "a &amp; b &lt; c &gt; d &quot; e &#39; f")
        #expect(HTMLText.escaped("&amp;") == "&amp;amp;")
        #expect(HTMLText.escaped("tab\tline\nnul\u{0}del\u{7F}c1\u{85}") == "tab\tline\nnul\u{FFFD}del\u{FFFD}c1\u{FFFD}")
        #expect(HTMLText.escaped("ünï – ✓") == "ünï – ✓")
    }
}

@Suite struct ReportFormattingTests {
    @Test func amountsAreGroupedByThousandsWithTheirExactDigits() throws {
        let cases = [
            ("0", "0"), ("0.00", "0.00"), ("999", "999"), ("1000", "1,000"), ("-1000.5", "-1,000.5"),
            ("123456", "123,456"), ("1234567.891", "1,234,567.891"), ("-12345678901234567890.12", "-12,345,678,901,234,567,890.12"),
        ]
        for (text, expected) in cases {
            #expect(ReportFormatting.amount(try ExactDecimal.parse(text)) == expected)
        }
        #expect(ReportFormatting.debit(try ExactDecimal.parse("15.38")) == "-15.38")
        #expect(ReportFormatting.debit(try ExactDecimal.parse("0.00")) == "0.00")
    }

    @Test func monthsAreNamedWhenTheyAreMonths() {
        #expect(ReportFormatting.month("2026-07") == "July 2026")
        #expect(ReportFormatting.month("1999-12") == "December 1999")
        #expect(ReportFormatting.month("2026-01") == "January 2026")
        for raw in ["2026-13", "2026-00", "2026-7", "20a6-07", "2026/07", "", "inv-7", "٢٠٢٦-07"] {
            #expect(ReportFormatting.month(raw) == raw)
        }
    }
}

@Suite struct AccountReportMessageTests {
    @Test func carriesTheReportAndItsPageUnderTheAccountsRoutingKey() throws {
        let report = try sampleReport()
        let message = try AccountReportMessage(report: report)
        #expect(message.routingKey == "account.42")
        #expect(message.messageId.hasPrefix("account-report:"))
        #expect(message.messageId.count == "account-report:".count + 16)
        let body = try JSONParser.parse(message.body)
        #expect(body["type"] == .string("account-report"))
        #expect(body["account"] == .string("42"))
        #expect(body["html"] == .string(AccountReportPage.render(report)))
        let inner = try #require(body["report"])
        #expect(try AccountReport(json: inner) == report)
    }

    @Test func theMessageIdFollowsTheReportsContent() throws {
        let first = try AccountReportMessage(report: try sampleReport())
        let again = try AccountReportMessage(report: try sampleReport())
        let other = try AccountReportMessage(report: try sampleReport(account: "43"))
        #expect(first.messageId == again.messageId)
        #expect(first.body == again.body)
        #expect(first.messageId != other.messageId)
    }

    @Test func anAccountTooLongForARoutingKeyIsRefused() throws {
        let fits = String(repeating: "a", count: 255 - "account.".count)
        #expect(try AccountReportMessage(report: try sampleReport(account: fits)).routingKey.utf8.count == 255)
        #expect(throws: AccountReportMessageError.self) {
            try AccountReportMessage(report: try sampleReport(account: fits + "a"))
        }
    }
}
