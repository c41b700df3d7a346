import ArgumentParser
import Foundation
import TallyAdapters
import TallyAdapterServices
import TallyRedisClient
import TallyRuntime
import TallyStore
import TallyWorker

/// `tally import …`: the source adapters' file imports (docs/adapters.md).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a foreign CSV file as standard records (readings, matches, transactions).",
        discussion: """
            Streams the file (constant memory), shows progress on standard error, publishes each row as a \
            record with publisher confirms, and writes rows it cannot send to a rejects file with their line \
            numbers and reasons. recordIds come from each row's identity, so importing a file again is harmless. \
            Exits non-zero when any row was rejected or refused by the broker.
            """,
        subcommands: [ImportReadings.self, ImportMatches.self, ImportTransactions.self, ImportWatch.self])
}

/// Options every import shares.
struct ImportOptions: ParsableArguments {
    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The CSV file.")
    var file: String

    @Option(help: "Where rejected rows go (CSV: line,reason,row); default FILE.rejects.csv.")
    var rejects: String?

    @Option(help: "Publishes awaiting their confirm at most.")
    var window = 1_000

    var rejectsPath: String { rejects ?? file + ".rejects.csv" }

    /// Runs the import and prints its summary. An ``ImportFailure`` (no
    /// file, a bad header) ends the command with its message and status 1.
    func run(what: String, settings: WorkerConfiguration, makeMapper: CSVImport.MapperFactory) throws -> CSVImport.Outcome {
        let importer = CSVImport(
            path: file, rejectsPath: rejectsPath, exchange: settings.topology.recordsExchange, broker: settings.broker,
            window: window)
        let outcome = try importer.run(makeMapper: makeMapper)
        print(importer.summary(outcome, what: what))
        return outcome
    }
}

struct ImportReadings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "readings",
        abstract: "Import electricity interval readings (meter readings).",
        discussion: """
            Columns: read_timestamp,interval_read,energy_flow_direction,icp_id (e.g. \
            2018-06-14 00:30:00+12,1.343,X,33). One record per row: destination icp:<icp_id>, value in kWh, \
            X (consumption) positive, I (injection) negative, reference the local date.
            """)

    @OptionGroup var options: ImportOptions

    func run() async throws {
        let settings = try await options.connection.load()
        let outcome = try options.run(what: "readings", settings: settings) { header throws(HeaderRejection) in
            let mapper = try ReadingRowMapper(header: header, limits: settings.limits)
            return { fields throws(RowRejection) in try mapper.record(fields) }
        }
        if outcome.rejected + outcome.refused > 0 { throw ExitCode(1) }
    }
}

struct ImportMatches: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matches",
        abstract: "Import the matching algorithm's output (algorithm runs); each run is kept as its own version.",
        discussion: """
            Columns: icp_id, matched_amount, read_date, read_time, publish_datetime, buyer_seller (quoted values \
            and “curly” quotes as the algorithm writes them), and optionally run. The file is one run, however long \
            the algorithm took to write it: named by its first row's publish_datetime to the second, unless --run \
            names it or a run column names each row's run. Importing the same file again is the same run.
            """)

    @OptionGroup var options: ImportOptions

    @Option(
        name: .customLong("run"),
        help: "This algorithm run's publish time, e.g. '2018-06-27 16:39:36+12' (default: the first row's publish_datetime, to the second).")
    var runTime: String?

    func run() async throws {
        let settings = try await options.connection.load()
        let rule: MatchRunRule?
        do throws(RowRejection) {
            rule = try runTime.map { text throws(RowRejection) in .named(MatchRowMapper.run(of: try ProducerTimestamp(text, column: "--run"))) }
        } catch {
            throw ValidationError(error.reason)
        }
        var run: String?
        let outcome = try options.run(what: "matches", settings: settings) { header throws(HeaderRejection) in
            var mapper = try MatchRowMapper(header: header, run: rule, limits: settings.limits)
            return { fields throws(RowRejection) in
                defer { run = mapper.run }
                return try mapper.record(fields)
            }
        }
        if let run { print("run \(run): every row of the file") }
        if outcome.rejected + outcome.refused > 0 { throw ExitCode(1) }
    }
}

struct ImportTransactions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transactions",
        abstract: "Import a transactions file once.",
        discussion: """
            Header required; columns id,date,amount,account (any order, any case) and optionally currency. \
            date: YYYY-MM-DD or RFC 3339; amount: signed decimal (+ optional). A file with the same content \
            (SHA-256) as one already imported is refused. Once the aggregator has indexed the file's rows, \
            the reports of the accounts it touched are published as `tally report accounts` does (each \
            report must cover the transactions it had before plus the file's rows); without an aggregator \
            (--aggregator, TALLY_AGGREGATOR_URL) a note says they were not, and --no-reports skips them.
            """)

    @OptionGroup var options: ImportOptions

    @OptionGroup var reportTrigger: ReportTriggerOptions

    @Option(help: "Currency of rows without a currency column.")
    var currency = "USD"

    func run() async throws {
        let settings = try await options.connection.load()
        let hash = try ImportedFileClaim.sha256(path: options.file)
        let claim = ImportedFileClaim(
            connection: try RedisConnection(settings.redis), layout: RedisKeyLayout(prefix: settings.keyPrefix), hash: hash)
        try claim.claim(file: options.file)
        let currency = self.currency
        let reporter = try reportTrigger.settings().map {
            ImportedAccountReports(settings: $0, connections: settings.adapterConnections, stop: StopSignal())
        }
        if reportTrigger.reports, reporter == nil {
            FileHandle.standardError.write(Data(
                "note: the accounts' reports are not published: no aggregator named (--aggregator or TALLY_AGGREGATOR_URL; --no-reports to say you want none)\n".utf8))
        }
        let tally = reporter.map { ImportedAccountReports.Tally($0) }
        let outcome: CSVImport.Outcome
        do {
            outcome = try options.run(what: "transactions", settings: settings) { header throws(HeaderRejection) in
                let mapper = try TransactionRowMapper(header: header, defaultCurrency: currency, limits: settings.limits)
                return { fields throws(RowRejection) in
                    let record = try mapper.record(fields)
                    tally?.add(record)
                    return record
                }
            }
        } catch {
            claim.release()
            throw error
        }
        if outcome.refused > 0 {
            claim.release()
        } else {
            try claim.complete(file: options.file, rows: outcome.rows)
            if let reporter, let tally {
                print("waiting for the aggregator to index the file's rows, then publishing the accounts' reports")
                let accounts = try reporter.publish(tally)
                let named = accounts.prefix(10).joined(separator: ", ") + (accounts.count > 10 ? ", and \(accounts.count - 10) more" : "")
                print("published the reports of \(accounts.count) account(s): \(named)")
            }
        }
        if outcome.rejected + outcome.refused > 0 { throw ExitCode(1) }
    }
}
