import Foundation

/// What `tally import watch` needs: the folder, how often to look at it,
/// and what every transactions import takes (the broker, Redis for the
/// once-per-content claim, the record limits).
public struct ImportWatcherConfiguration: Sendable {
    /// The watched folder; `done/` and `failed/` are made inside it.
    public var directory: String
    public var connections: AdapterConnections
    /// Between two listings of the folder; a file is taken once two
    /// listings saw it unchanged, so a file waits one to two intervals.
    public var pollMilliseconds = 1_000
    /// The currency of rows without a currency column.
    public var currency = "USD"
    /// Publishes awaiting their confirm at most.
    public var window = 1_000
    /// Where to fetch the reports of the accounts an imported file touched;
    /// nil: no reports (`--no-reports`).
    public var reports: Reports?

    /// The aggregator that computes the account reports.
    public struct Reports: Sendable {
        public var aggregator: URL
        /// Its API's bearer token.
        public var token: String?
        /// How long, after a file, to wait for its rows to be indexed.
        public var timeoutMilliseconds: Int64 = 120_000

        public init(aggregator: URL, token: String?) {
            self.aggregator = aggregator
            self.token = token
        }
    }

    public init(directory: String, connections: AdapterConnections) {
        self.directory = directory
        self.connections = connections
    }
}
