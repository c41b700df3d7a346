import Testing
import TallyAdapters
import TallyCore

@Suite struct TransactionRowMapperTests {
    @Test func creditOnADate() throws {
        let mapper = try TransactionRowMapper(header: ["id", "date", "amount", "account"])
        let record = try mapper.record(["7", "2024-07-15", "+60.5", "acct-1"])
        #expect(record.recordId == "txn:acct-1:7")
        #expect(record.timeText == "2024-07-15T00:00:00Z")
        #expect(record.sourceId == "transactions")
        #expect(record.destinationId == "account:acct-1")
        #expect(record.type == .positive)
        #expect(record.value.description == "60.5")
        #expect(record.unit == "USD")
        #expect(record.reference == "2024-07")
    }

    @Test func debitWithCurrencyAndTimestampInAnyColumnOrder() throws {
        let mapper = try TransactionRowMapper(header: ["Account", "AMOUNT", "currency", "Date", "id"], defaultCurrency: "EUR")
        let record = try mapper.record(["a", "-10.3", "NZD", "2024-08-31T23:30:00-05:00", "9"])
        #expect(record.type == .negative)
        #expect(record.value.description == "10.3")
        #expect(record.unit == "NZD")
        #expect(record.timeText == "2024-08-31T23:30:00-05:00")
        #expect(record.reference == "2024-08")
        let defaulted = try mapper.record(["a", "1", "", "2024-08-01", "10"])
        #expect(defaulted.unit == "EUR")
    }

    @Test func zeroIsACredit() throws {
        let mapper = try TransactionRowMapper(header: ["id", "date", "amount", "account"])
        #expect(try mapper.record(["1", "2024-07-15", "-0", "a"]).type == .positive)
    }

    @Test(arguments: [
        (["1", "2024-13-01", "1", "a"], "date:"),
        (["1", "7/15", "1", "a"], "date:"),
        (["1", "2024-07-15", "1,5", "a"], "amount:"),
        (["1", "2024-07-15", "+-5", "a"], "amount:"),
        (["1", "2024-07-15", "", "a"], "amount:"),
        (["", "2024-07-15", "1", "a"], "id:"),
    ])
    func badRowsNameTheirProblem(fields: [String], prefix: String) throws {
        let mapper = try TransactionRowMapper(header: ["id", "date", "amount", "account"])
        do {
            _ = try mapper.record(fields)
            Issue.record("accepted \(fields)")
        } catch {
            #expect(error.reason.hasPrefix(prefix), "\(error.reason)")
        }
    }

    @Test func headerRequired() {
        #expect(throws: HeaderRejection.self) { try TransactionRowMapper(header: ["1", "2024-07-15", "1", "a"]) }
    }
}
