import Testing
import TallyAdapters
import TallyCore

@Suite struct TransactionFileGeneratorTests {
    @Test func everyRowIsAValidTransactionAndTheSeedFixesTheBytes() throws {
        var generator = TransactionFileGenerator(accounts: 7, currencies: ["USD", "EUR"], seed: 42)
        let mapper = try TransactionRowMapper(header: TransactionFileGenerator.header.split(separator: ",").map(String.init))
        var ids: Set<String> = []
        var accounts: Set<String> = []
        var credits = 0
        let rows = (0..<2_000).map { _ in generator.nextRow() }
        for row in rows {
            let record = try mapper.record(try CSVFieldSplitter.split(row[...]))
            ids.insert(record.recordId)
            accounts.insert(record.destinationId)
            if record.type == .positive { credits += 1 }
            #expect(record.reference.hasPrefix("2025-"), "\(row)")
            #expect(record.unit == "USD" || record.unit == "EUR")
        }
        #expect(ids.count == rows.count, "one record per row")
        #expect(accounts == Set((1...7).map { "account:\($0)" }))
        #expect((1_000..<1_400).contains(credits), "about three credits in five: \(credits)")

        var again = TransactionFileGenerator(accounts: 7, currencies: ["USD", "EUR"], seed: 42)
        #expect((0..<2_000).map { _ in again.nextRow() } == rows)
        var other = TransactionFileGenerator(accounts: 7, currencies: ["USD", "EUR"], seed: 43)
        #expect((0..<2_000).map { _ in other.nextRow() } != rows)
    }

    @Test func amountsHaveTwoDecimalsAndDatesArePadded() {
        var generator = TransactionFileGenerator(accounts: 1, seed: 1, firstDay: 20_454, days: 1)
        for _ in 0..<200 {
            let fields = generator.nextRow().split(separator: ",")
            #expect(fields[1] == "2026-01-01")
            #expect(fields[2].split(separator: ".").last?.count == 2, "\(fields[2])")
        }
    }
}
