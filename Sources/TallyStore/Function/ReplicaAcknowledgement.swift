/// How many Redis replicas must hold a batch's writes before anything that
/// depends on them — its notifications, its acks — happens (the worker's
/// `redis.waitReplicas` and `redis.waitTimeoutMs`).
///
/// Redis replicates asynchronously. Without this, a primary that dies after
/// a batch was applied, published and acked, but before a replica received
/// it, is replaced by a replica without the batch's claims and summaries:
/// the notifications went out, the state forgot them, and a redelivery
/// would apply the records again. With it, each apply transaction is
/// followed, in the same round trip, by a write of a marker and `WAIT`:
/// the marker makes the connection's replication offset cover everything
/// the primary holds, including outcomes that an earlier worker stored and
/// this batch only re-publishes (a batch of duplicates writes nothing
/// itself). Fewer acknowledgements than required within the timeout hold
/// the batch: the worker keeps its deliveries and `WAIT`s again until the
/// replicas catch up, publishing and acking nothing meanwhile
/// (`WorkerLoop.holdUntilReplicated`).
public struct ReplicaAcknowledgement: Sendable, Equatable {
    /// Replicas that must acknowledge (at least 1; 0 turns the wait off).
    public var replicas: Int
    /// How long `WAIT` may block the batch.
    public var timeoutMilliseconds: Int

    public init(replicas: Int, timeoutMilliseconds: Int) {
        self.replicas = replicas
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
