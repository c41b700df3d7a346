import TallyRedisClient
import TallyRuntime

extension EffectiveConfiguration {
    /// The `redis.*` connection keys of an endpoint.
    public mutating func add(_ redis: RedisEndpoint) {
        add("redis.url", redis.redactedURL)
        add("redis.host", redis.host)
        add("redis.port", redis.port)
        add("redis.user", redis.username ?? "(default)")
        addSecret("redis.password", redis.password)
        add("redis.sentinels", redis.sentinels.isEmpty ? "(none)" : redis.sentinels.map(\.description).joined(separator: ","))
        add("redis.masterName", redis.masterName)
    }
}
