import Foundation
import TallyAdapters
import TallyAggregatorClient
import TallyBroker
import TallyCore
import TallyRuntime

/// The reports of the accounts an imported file touched, published as
/// `tally report accounts` publishes them, once the aggregator has indexed
/// the file's rows (`tally import transactions` and `tally import watch`,
/// without `--no-reports`).
///
/// "Indexed" is counted, since the aggregator answers counts, not record
/// ids: the first time the import meets an account, before that row is
/// published, it asks the account's report how many transactions it covers
/// (the baseline; 0 for an unknown account). After the import, each report
/// is fetched again (every 200 ms) until it covers baseline + the rows the
/// file published for the account, then sent. Rows the index already held
/// (the same recordIds from another file) do not add to the count, so such
/// an account waits out `timeout` and is named in the error; records of an
/// earlier import still on their way can meet the count a little early.
/// Blocking: runs on the watcher's thread.
public final class ImportedAccountReports {
    private let settings: ImportWatcherConfiguration.Reports
    fileprivate let client: AggregatorClient
    private let connections: AdapterConnections
    private let stop: StopSignal
    private var publisher: ConfirmedPublisher?

    public init(settings: ImportWatcherConfiguration.Reports, connections: AdapterConnections, stop: StopSignal) {
        self.settings = settings
        client = AggregatorClient(baseURL: settings.aggregator, token: settings.token)
        self.connections = connections
        self.stop = stop
    }

    /// Per account of one file: the transactions its report covered before
    /// the file's first row for it, and the rows the file published for it.
    struct Expectation: Sendable, Equatable {
        var baseline: Int
        var rows = 0
        var target: Int { baseline + rows }
    }

    /// What one file's import met, filled by its row mapping (which may
    /// throw only row rejections, so a failed baseline is kept, not thrown).
    public final class Tally {
        private let reports: ImportedAccountReports
        private(set) var expectations: [String: Expectation] = [:]
        private(set) var failure: (any Error)?

        public init(_ reports: ImportedAccountReports) {
            self.reports = reports
        }

        /// A row mapped and about to be published.
        public func add(_ record: Record) {
            guard failure == nil, let account = AdapterNamespace.transactions.key(ofDestination: record.destinationId) else { return }
            if expectations[account] == nil {
                do {
                    expectations[account] = Expectation(baseline: try reports.client.reportBlocking(account: account)?.transactionCount ?? 0)
                } catch {
                    failure = error
                    return
                }
            }
            expectations[account]?.rows += 1
        }
    }

    /// Waits for every report to cover its expectation, then publishes them
    /// with confirms; returns the accounts reported.
    public func publish(_ tally: Tally) throws -> [String] {
        if let failure = tally.failure { throw failure }
        let expectations = tally.expectations
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(settings.timeoutMilliseconds))
        var messages: [AccountReportMessage] = []
        let accounts = expectations.keys.sorted()
        for account in accounts {
            guard let expectation = expectations[account] else { continue }
            let report = try waitFor(account, covering: expectation.target, until: deadline)
            messages.append(try AccountReportMessage(report: report))
            // Sent in batches: a file over many accounts holds few pages at once.
            if messages.count >= Self.batchSize {
                try send(messages)
                messages.removeAll(keepingCapacity: true)
            }
        }
        try send(messages)
        return accounts
    }

    /// Reports fetched, then published and confirmed, per batch.
    static let batchSize = 100

    private func send(_ messages: [AccountReportMessage]) throws {
        guard !messages.isEmpty else { return }
        do {
            let publisher = try self.publisher ?? ConfirmedPublisher(endpoint: connections.broker)
            if self.publisher == nil {
                try publisher.connection.declareExchange(connections.topology.reportsExchange, type: "topic")
                self.publisher = publisher
            }
            try AccountReportDispatcher.publish(messages, with: publisher, exchange: connections.topology.reportsExchange)
        } catch {
            publisher = nil
            throw error
        }
    }

    private func waitFor(_ account: String, covering target: Int, until deadline: ContinuousClock.Instant) throws -> AccountReport {
        while true {
            let report = try client.reportBlocking(account: account)
            if let report, report.transactionCount >= target { return report }
            guard !stop.isRequested else {
                throw ImportFailure("account \(account): stopping before its report covered the file's rows; not published (`tally report accounts` sends it)")
            }
            guard ContinuousClock.now < deadline else {
                throw ImportFailure(
                    "account \(account): the aggregator's report covers \(report?.transactionCount ?? 0) of the \(target) transactions expected after this file; gave up waiting after \(settings.timeoutMilliseconds) ms (is a worker running, is the aggregator at \(settings.aggregator.absoluteString) caught up, or did the file repeat rows already imported?)")
            }
            stop.sleep(milliseconds: 200)
        }
    }
}
