import Testing
import TallyAdapters

@Suite struct MailAddressTests {
    @Test(arguments: ["holder@example.com", "first.last+tag@mail.example.co.nz", "o'brien@example.com", "X@a-b.example"])
    func acceptsPlainAddresses(_ text: String) throws {
        #expect(try MailAddress(text).text == text)
    }

    @Test(arguments: [
        "", "holder", "@example.com", "holder@", "holder@localhost", "a b@example.com", ".a@example.com", "a..b@example.com",
        "a@-example.com", "a@exa_mple.com", "a@example.com>\r\nRCPT TO:<b@example.com", "ünï@example.com", "a@example..com",
    ])
    func refusesAnythingElse(_ text: String) {
        #expect(throws: MailAddressError.self) { try MailAddress(text) }
    }
}

@Suite struct ReportRecipientsTests {
    @Test func readsTheFileInAnyColumnOrderAndCase() throws {
        let recipients = try ReportRecipients.parse("Email, Account\r\n holder@example.com , 42\n\n\"other@example.com\",ünï cødé/7\n")
        #expect(recipients["42"]?.text == "holder@example.com")
        #expect(recipients["ünï cødé/7"]?.text == "other@example.com")
        #expect(recipients["nobody"] == nil)
    }

    @Test(arguments: [
        ("account,email\n42,holder@example.com\n43\n", 3, "expected 2 fields"),
        ("account,email\n42,not-an-address\n", 2, "invalid email address"),
        ("account,email\n42,a@example.com\n42,b@example.com\n", 3, "listed twice"),
        ("account,mail\n42,a@example.com\n", 1, "unknown column"),
        ("account,email\n,a@example.com\n", 2, "account: empty"),
        ("", 1, "header"),
    ])
    func refusesTheWholeFileNamingTheLine(_ text: String, _ line: Int, _ reason: String) {
        let error = #expect(throws: ReportRecipientsError.self) { try ReportRecipients.parse(text) }
        #expect(error?.line == line)
        #expect(error?.reason.contains(reason) == true, "\(String(describing: error))")
    }
}

@Suite struct MailDeliveryStateTests {
    @Test func storedTextRoundTrips() {
        for state in [MailDeliveryState.sending(token: "ab12"), .committing(token: "ab12"), .sent(epochMilliseconds: 1_700_000_000_000, address: "a@example.com")] {
            #expect(MailDeliveryState(stored: state.stored) == state)
        }
        #expect(MailDeliveryState(stored: "garbage") == nil)
        #expect(MailDeliveryState(stored: "sent soon a@example.com") == nil)
    }

    @Test func onlyTheCommittingWindowIsUncertain() {
        #expect(MailDeliveryState.decide(nil, resendUncertain: false) == .claimAndSend)
        #expect(MailDeliveryState.decide(.sent(epochMilliseconds: 1, address: "a@example.com"), resendUncertain: true) == .alreadySent)
        #expect(MailDeliveryState.decide(.sending(token: "x"), resendUncertain: true) == .waitForClaim)
        #expect(MailDeliveryState.decide(.committing(token: "x"), resendUncertain: false) == .keepUncertain)
        #expect(MailDeliveryState.decide(.committing(token: "x"), resendUncertain: true) == .takeOverAndResend)
    }
}
