import ArgumentParser
import Foundation
import TallyAdapters
import TallyCore

/// `tally generate …`: made-up input files for tests, demos and benchmarks.
struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write made-up input files in the neighbouring systems' formats.", subcommands: [GenerateTransactions.self])
}

/// `tally generate transactions`: options only; the rows are
/// `TransactionFileGenerator`'s.
struct GenerateTransactions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "Write a transactions file of any size (id,date,amount,account,currency), as tally import transactions reads it.",
        discussion: """
            Ids 1…rows; dates over --days days from --first-date (the workers take only dates inside their \
            dedup window, dedup.bucketSeconds × dedup.buckets: with the default 7 days, give the last week); amounts 0.01…2,000.00 with two decimals, three credits in five; \
            accounts 1…--accounts; the same --seed writes the same bytes. Streams, so any size fits.
            """)

    @Option(help: "How many rows.")
    var rows = 1_000

    @Option(help: "Spread over this many accounts.")
    var accounts = 10

    @Option(name: .customLong("currency"), help: "A currency to draw from (repeatable; default USD).")
    var currencies: [String] = []

    @Option(help: "The earliest date, YYYY-MM-DD.")
    var firstDate = "2025-01-01"

    @Option(help: "How many days the dates spread over.")
    var days = 365

    @Option(help: "The random seed.")
    var seed: UInt64 = 1

    @Option(help: "The file to write (default: standard output).")
    var output: String?

    func validate() throws {
        guard rows >= 0 else { throw ValidationError("--rows must not be negative") }
        guard accounts > 0 else { throw ValidationError("--accounts must be positive") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
        _ = try firstDay()
        guard currencies.allSatisfy({ !$0.isEmpty && !$0.contains(",") }) else { throw ValidationError("--currency: a non-empty code without commas") }
    }

    func run() throws {
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw ValidationError("--output \(output): cannot create it")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        var generator = TransactionFileGenerator(
            accounts: accounts, currencies: currencies.isEmpty ? ["USD"] : currencies, seed: seed, firstDay: try firstDay(), days: days)
        var chunk = TransactionFileGenerator.header + "\n"
        for _ in 0..<rows {
            chunk += generator.nextRow()
            chunk += "\n"
            if chunk.utf8.count >= 1 << 16 {
                try handle.write(contentsOf: Data(chunk.utf8))
                chunk = ""
            }
        }
        try handle.write(contentsOf: Data(chunk.utf8))
        if output != nil { try handle.close() }
    }

    /// `--first-date` as days since 1970-01-01.
    private func firstDay() throws -> Int64 {
        let parts = firstDate.split(separator: "-").map { Int64($0) }
        guard parts.count == 3, let year = parts[0], let month = parts[1], let day = parts[2], (1...12).contains(month),
            (1...31).contains(day), firstDate.count == 10
        else { throw ValidationError("--first-date must be YYYY-MM-DD, not \(firstDate)") }
        return CivilDate.daysFromCivil(year: year, month: month, day: day)
    }
}
