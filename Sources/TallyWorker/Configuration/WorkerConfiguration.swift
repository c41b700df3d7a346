import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient
import TallyRuntime
import TallyStore

/// Everything a worker can be told, with the documented defaults of
/// `Config/worker.json`. Tests build one directly;
/// processes load one with ``LoadableConfiguration/load(file:environment:arguments:)``.
public struct WorkerConfiguration: Sendable {
    /// Heartbeats every 30 s (`amqp.heartbeatSeconds`): an idle worker
    /// notices a half-open broker connection within a minute.
    public var broker = AMQPEndpoint(heartbeatSeconds: 30)
    public var topology = Topology()
    public var redis = RedisEndpoint()
    /// Prefix of every Redis key (see `RedisKeyLayout`).
    public var keyPrefix = "tally"
    /// Replicas that must hold a batch's writes before its outputs go out
    /// (`redis.waitReplicas`, `redis.waitTimeoutMs`); 0 replicas: no wait.
    public var replicaAcknowledgement = ReplicaAcknowledgement(replicas: 0, timeoutMilliseconds: 1_000)
    public var batch = BatchSettings()
    public var dedup = DedupSettings()
    public var alerts = AlertPolicy()
    public var limits = RecordLimits()
    public var backoff = BackoffPolicy()
    /// The `/health`, `/ready`, `/metrics` listener (keys `metrics.host`,
    /// `metrics.port`); `make up` gives worker n the port 9100 + n - 1.
    public var metrics = HTTPListenerSettings(port: 9_100)

    public init() {}
}

/// How deliveries are gathered into batches.
public struct BatchSettings: Sendable, Equatable {
    /// Most deliveries applied, published and acked together.
    public var maxSize = 500
    /// How long a batch waits for more deliveries once one has arrived. Low
    /// load then costs at most this much latency; high load fills batches.
    public var maxWaitMilliseconds = 5
    /// Unacked deliveries the broker may send ahead: twice a batch, so the
    /// next batch is already in the socket while this one is applied.
    public var prefetch = 1_000
    /// How long to wait for publisher confirms before giving up on a batch
    /// (it is then redelivered, which is safe).
    public var confirmTimeoutMilliseconds = 30_000

    public init() {}
}

/// Exactly once with no time limit and bounded memory (docs/architecture.md,
/// "Claims").
///
/// A record's claim is kept until max(its time, when it was applied) +
/// ``windowSeconds``; a record whose time is older than now − window, or
/// more than ``aheadSeconds`` in the future, is dead-lettered
/// (`outside-dedup-window`) instead of applied. So every duplicate that is
/// accepted finds its original's claim, and claims never pile up. Claims go
/// into Redis hashes per `bucketSeconds` of time (sharded by recordId, see
/// `RedisKeyLayout.claims`). An outcome not yet confirmed downstream is kept
/// until it is, whatever the window.
public struct DedupSettings: Sendable, Equatable {
    public var bucketSeconds = 86_400
    public var buckets = 8
    /// How far in the future a record's time may be (clock skew, producers
    /// that date ahead).
    public var aheadSeconds = 3_600

    /// How old a record may be: `bucketSeconds × (buckets − 1)`, 7 days by default.
    public var windowSeconds: Int { bucketSeconds * (buckets - 1) }

    public init() {}
}
