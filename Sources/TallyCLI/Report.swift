import ArgumentParser
import Foundation
import TallyAdapterServices
import TallyAggregatorClient
import TallyWorker

struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish reports computed by the aggregator.", subcommands: [Accounts.self])

    struct Accounts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish the per-account report of the transactions source to the reports exchange.",
            discussion: """
                Fetches each account's report from the aggregator (GET /v1/accounts/{account}/report) and \
                publishes one persistent JSON message per account with publisher confirms: routing key \
                account.<account>, body {"type":"account-report","account","report":{…},"html":"…"}, \
                message id account-report:<digest of the report> (an unchanged report repeats its id). \
                Without --account, every account with transactions is reported. Exits 1 if a named account \
                has no transactions (the others are still published).
                """)

        @OptionGroup var connection: ConnectionOptions

        @Option(name: .customLong("account"), help: "An account to report (repeatable); default: all accounts.")
        var accounts: [String] = []

        @Option(help: "The aggregator's base URL (default: TALLY_AGGREGATOR_URL, else http://127.0.0.1:8080).")
        var aggregator: String?

        @Option(help: "Wait until each named account's report covers at least this many transactions (after an import).")
        var minimumTransactions = 0

        @Option(help: "Seconds to wait for --minimum-transactions.")
        var timeout = 120

        func validate() throws {
            if minimumTransactions > 0, accounts.isEmpty {
                throw ValidationError("--minimum-transactions needs the accounts it applies to (--account)")
            }
            guard minimumTransactions >= 0 else { throw ValidationError("--minimum-transactions must not be negative") }
            guard timeout > 0 else { throw ValidationError("--timeout must be positive") }
        }

        func run() async throws {
            let settings = try await connection.load()
            let address = aggregator ?? ProcessInfo.processInfo.environment["TALLY_AGGREGATOR_URL"] ?? "http://127.0.0.1:8080"
            guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https" else {
                throw ValidationError("--aggregator: \(address) is not an http(s) URL")
            }
            let dispatcher = AccountReportDispatcher(
                client: AggregatorClient(baseURL: url), broker: settings.broker, topology: settings.topology)
            let minimums = Dictionary(accounts.map { ($0, minimumTransactions) }, uniquingKeysWith: max)
            let outcome = try await dispatcher.publishReports(
                for: accounts.isEmpty ? nil : accounts, waitingFor: minimums, timeout: .seconds(timeout),
                progress: { progress($0) })
            print("published \(outcome.published.count) account reports to \(settings.topology.reportsExchange)")
            if !outcome.unknown.isEmpty {
                progress("no transactions for: \(outcome.unknown.joined(separator: ", "))")
                throw ExitCode(1)
            }
        }
    }
}
