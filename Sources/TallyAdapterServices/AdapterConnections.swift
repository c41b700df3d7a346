import TallyAMQPClient
import TallyBroker
import TallyCore
import TallyRedisClient

/// What an adapter needs to publish records like any producer and to keep
/// its own small state in Redis: the broker and its topology, Redis and the
/// key prefix, the record limits the workers apply. The command line fills
/// it from the worker's configuration (`Config/worker.json`), so an adapter
/// and the fleet always agree.
public struct AdapterConnections: Sendable {
    public var broker: AMQPEndpoint
    public var topology: Topology
    public var redis: RedisEndpoint
    public var keyPrefix: String
    public var limits: RecordLimits
    /// How long to wait for the broker's confirms of a page or a batch.
    public var confirmTimeoutMilliseconds: Int

    public init(
        broker: AMQPEndpoint, topology: Topology = Topology(), redis: RedisEndpoint, keyPrefix: String = "tally",
        limits: RecordLimits = RecordLimits(), confirmTimeoutMilliseconds: Int = 30_000
    ) {
        self.broker = broker
        self.topology = topology
        self.redis = redis
        self.keyPrefix = keyPrefix
        self.limits = limits
        self.confirmTimeoutMilliseconds = confirmTimeoutMilliseconds
    }
}
