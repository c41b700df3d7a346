import Testing
import TallyAdapters
import TallyCore

@Suite struct VendorBalanceTests {
    func decimal(_ text: String) throws -> ExactDecimal { try ExactDecimal.parse(text) }

    /// The first user-balance service's example user: earned 150, spent 50, payout 30, paidOut 20.
    /// The successor service's rule makes the balance 150 − 50 − 20 = 80 and the
    /// outstanding payout 30 − 20 = 10.
    @Test func userBalanceServiceExample() throws {
        var figures = VendorBalance()
        for (amount, type) in [("100", "earned"), ("50", "earned"), ("50", "spent"), ("30", "payout"), ("20", "paid_out")] {
            #expect(figures.add(try decimal(amount), reference: type))
        }
        #expect(figures.earned == (try decimal("150")))
        #expect(figures.spent == (try decimal("50")))
        #expect(figures.payout == (try decimal("30")))
        #expect(figures.paidOut == (try decimal("20")))
        #expect(figures.balance == (try decimal("80")))
        #expect(figures.outstandingPayout == (try decimal("10")))
        #expect(figures.hasOutstandingPayout)
    }

    @Test func exactAndOnlyTheFourTypes() throws {
        var figures = VendorBalance()
        figures.add(try decimal("0.1"), reference: "earned")
        figures.add(try decimal("0.2"), reference: "earned")
        #expect(!figures.add(try decimal("5"), reference: "refund"))
        #expect(figures.balance.description == "0.3")
        figures.add(try decimal("1.00"), reference: "payout")
        figures.add(try decimal("1"), reference: "paid_out")
        #expect(!figures.hasOutstandingPayout)
        #expect(figures.balance == (try decimal("-0.7")))
    }
}
