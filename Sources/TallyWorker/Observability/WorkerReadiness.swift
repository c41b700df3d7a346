import Synchronization

/// Whether the worker can take work: set by the batch loop when both its
/// broker and its Redis connection are up, cleared as soon as either fails
/// (and at stop). `/ready` reads it from the HTTP server's threads.
public final class WorkerReadiness: Sendable {
    private let broker = Atomic<Bool>(false)
    private let redis = Atomic<Bool>(false)

    public init() {}

    public var isBrokerUp: Bool { broker.load(ordering: .relaxed) }
    public var isRedisUp: Bool { redis.load(ordering: .relaxed) }
    public var isReady: Bool { isBrokerUp && isRedisUp }

    /// What `/ready` answers: `{"ready","broker","redis"}`.
    public var report: (ready: Bool, json: String) {
        let (broker, redis) = (isBrokerUp, isRedisUp)
        return (broker && redis, "{\"ready\":\(broker && redis),\"broker\":\(broker),\"redis\":\(redis)}")
    }

    func set(broker: Bool? = nil, redis: Bool? = nil) {
        if let broker { self.broker.store(broker, ordering: .relaxed) }
        if let redis { self.redis.store(redis, ordering: .relaxed) }
    }
}
