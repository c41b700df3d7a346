import ArgumentParser
import Foundation
import TallyAdapterServices
import TallyAggregatorClient

/// The reports an import triggers (`tally import transactions`, `tally
/// import watch`): once the aggregator has indexed a file's rows, the
/// reports of the accounts it touched are published as `tally report
/// accounts` does (ImportedAccountReports). On by default; `--no-reports`
/// turns them off.
struct ReportTriggerOptions: ParsableArguments {
    @Flag(
        inversion: .prefixedNo,
        help: "Publish the reports of the accounts a file touched once the aggregator has indexed its rows (needs --aggregator or TALLY_AGGREGATOR_URL).")
    var reports = true

    @Option(help: "The aggregator's base URL, for the reports (default: TALLY_AGGREGATOR_URL).")
    var aggregator: String?

    @Option(help: "Seconds to wait, after a file, for the aggregator to index its rows before its reports are given up.")
    var reportTimeout = 120

    func validate() throws {
        guard reportTimeout > 0 else { throw ValidationError("--report-timeout must be positive") }
        if !reports, aggregator != nil { throw ValidationError("--aggregator is for the reports: drop it or --no-reports") }
    }

    /// The aggregator's address, if one is named.
    var address: String? { aggregator ?? ProcessInfo.processInfo.environment["TALLY_AGGREGATOR_URL"] }

    /// The settings of the reports; nil with `--no-reports`, or when no
    /// aggregator is named (the caller decides whether that is an error).
    func settings() throws -> ImportWatcherConfiguration.Reports? {
        guard reports, let address else { return nil }
        guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https" else {
            throw ValidationError("--aggregator: \(address) is not an http(s) URL")
        }
        var settings = ImportWatcherConfiguration.Reports(aggregator: url, token: AggregatorClient.token())
        settings.timeoutMilliseconds = Int64(reportTimeout) * 1_000
        return settings
    }
}
