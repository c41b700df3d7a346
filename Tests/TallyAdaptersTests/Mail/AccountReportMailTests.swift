import Testing
import TallyAdapters
import TallyCore

@Suite struct AccountReportMailTests {
    private func report(_ account: String) throws -> AccountReport {
        var builder = AccountReportBuilder()
        builder.add(try ExactDecimal.parse("60.5"), type: .positive, currency: "USD", month: "2026-07")
        builder.add(try ExactDecimal.parse("10.3"), type: .negative, currency: "USD", month: "2026-07")
        builder.add(try ExactDecimal.parse("20.46"), type: .negative, currency: "USD", month: "2026-08")
        builder.add(try ExactDecimal.parse("10"), type: .positive, currency: "USD", month: "2026-08")
        return try #require(builder.report(account: account))
    }

    @Test func aPublishedReportReadsBackAndBecomesAnEmailWithBothParts() throws {
        let report = try report("ünï cødé/7")
        let published = try AccountReportMessage(report: report)
        let received = try ReceivedAccountReport(body: published.body, messageId: published.messageId)
        #expect(received.report == report)
        #expect(received.html == AccountReportPage.render(report))
        #expect(try ReceivedAccountReport(body: published.body, messageId: nil).messageId == published.messageId)

        let mail = AccountReportMail.message(
            received, from: try MailAddress("reports@tally.example"), to: try MailAddress("holder@example.com"), epochSeconds: 0)
        #expect(mail.subject == "Transactions report for account ünï cødé/7")
        #expect(mail.html == received.html)
        #expect(mail.messageId.hasSuffix("@tally.example"))
        #expect(!mail.messageId.contains(":"))
        for figure in ["Balance:         39.74", "Credits:         2, total 70.50, average 35.25", "Debits:          2, total -30.76, average -15.38", "July 2026: 2", "August 2026: 2"] {
            #expect(mail.text.contains(figure), "\(figure) in \(mail.text)")
        }
        #expect(mail.extraHeaders.first?.value == published.messageId)
    }

    @Test(arguments: [
        (#"{"type":"other"}"#, "type"), (#"not json"#, "(document)"),
        (#"{"type":"account-report","account":"42","html":"<p>"}"#, "report"),
    ])
    func anythingElseIsRefusedNamingTheField(_ body: String, _ field: String) {
        let error = #expect(throws: AccountReportFormatError.self) { try ReceivedAccountReport(body: Array(body.utf8), messageId: "x") }
        #expect(error?.field == field)
    }
}
