import TallyRedisClient
import TallyRuntime

/// Everything an aggregator can be told, with the documented defaults of
/// `Config/aggregator.json`. Tests build one directly;
/// the process loads one with ``LoadableConfiguration/load(file:environment:arguments:)``.
public struct AggregatorConfiguration: Sendable {
    /// Where the HTTP API listens.
    public var http = HTTPListenerSettings(port: 8_080)
    /// Who may call the API, and how much work it takes on at once.
    public var api = APISettings()
    /// Where `/health`, `/ready` and `/metrics` listen: apart from the API,
    /// without a token, for probes and Prometheus (never exposed publicly).
    public var admin = HTTPListenerSettings(port: 8_081)
    public var redis = RedisEndpoint()
    /// Prefix of every Redis key (see `RedisKeyLayout`); must match the workers'.
    public var keyPrefix = "tally"
    public var index = IndexSettings()
    public var stream = StreamSettings()
    public var readiness = ReadinessSettings()

    public init() {}
}

/// The embedded SQLite index.
public struct IndexSettings: Sendable, Equatable {
    /// The index file; deleting it makes the aggregator rebuild from the log.
    public var path = ".state/aggregator/index.sqlite"

    public init() {}
}

/// How the aggregator tails and trims the `tally:log` stream.
public struct StreamSettings: Sendable, Equatable {
    /// The consumer group: one per aggregator replica (each has its own index).
    public var group = "aggregator"
    /// About how many records are read, committed and acknowledged
    /// together (at most: a batch holds what the log has). An entry holds
    /// one record, or with a batched log (`log batches`) every record of
    /// one worker call, so each read asks (XREADGROUP COUNT) for this many
    /// over the most records an entry may hold (`LogIngestor`). Large,
    /// because SQLite's cost per commit (index pages written to the WAL)
    /// barely grows with its size.
    public var batchSize = 10_000
    /// How long one XREADGROUP waits for new entries; also bounds how long a
    /// graceful stop waits for the ingest thread.
    public var blockMilliseconds = 500
    /// Following a live log, a read brings what arrived since the last
    /// one, often a single worker batch; committing each one would pay
    /// SQLite's per-commit cost (every index page the batch touched,
    /// written to the WAL) every few hundred records. After a read of
    /// fewer than `batchSize` records the ingest reads again for up to
    /// this long (until `blockMilliseconds` pass with nothing new) and
    /// commits what it gathered: under a steady stream one commit a second
    /// (or per `batchSize` records, if sooner). Adds at most this much to
    /// the index's lag; 0 commits every read at once. Measured (`make
    /// bench-cpu AGGREGATOR=1`): the aggregator's CPU per record 23 µs
    /// without, 16–19 µs at 250 ms, 10–14 µs at 1 s.
    public var lingerMilliseconds = 1_000
    /// Entries younger than this are never trimmed, so a replica whose index
    /// is lost can rebuild this much history from the log.
    public var retentionSeconds = 604_800
    /// How often the log is trimmed (0 disables trimming).
    public var trimIntervalSeconds = 10
    /// Reconnect backoff after Redis failures.
    public var backoffInitialMilliseconds = 100
    public var backoffMaximumMilliseconds = 5_000

    public init() {}
}

/// The API's guard (docs/contract.md, "Calling the API").
public struct APISettings: Sendable, Equatable {
    /// Accepted bearer tokens (`http.tokens`, comma-separated, plus the
    /// lines of `http.tokenFile`).
    public var tokens: [String] = []
    /// A file of tokens, one per line: a mounted secret, `.state/api-token`
    /// for `make up`.
    public var tokenFile: String?
    /// Serve without tokens. Only for a listener no one else can reach;
    /// without tokens and without this the aggregator refuses to start.
    public var allowAnonymous = false
    /// Requests served at once; more are answered 503 with `Retry-After`.
    public var maxConcurrentRequests = 32
    /// A request still running after this is cancelled and answered 503.
    public var requestDeadlineMilliseconds = 10_000

    public init() {}
}

/// When `/ready` says yes.
public struct ReadinessSettings: Sendable, Equatable {
    /// The most log entries the index may be behind and still be ready.
    /// Entries, not records: once the log is batched, each is one worker
    /// call of up to `batch.maxSize` records.
    public var maxLagEntries = 1_000

    public init() {}
}
