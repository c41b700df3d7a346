import Foundation
import Configuration
import TallyRedisClient
import TallyRuntime

/// The `redis.*` connection keys, shared by the worker, the aggregator and
/// the command line: `redis.url` sets every part at once; a part key
/// overrides its part when it comes from the same or a higher-precedence
/// source (see ``ConnectionURLParts``).
extension RedisEndpoint {
    /// The endpoint the `redis.*` connection keys of `config` describe.
    public static func configured(
        from config: ConfigReader, _ provenance: ConfigurationProvenance, defaults: RedisEndpoint = RedisEndpoint()
    ) throws(ConfigurationFailure) -> RedisEndpoint {
        var url: ConnectionURL?
        if let text = config.optionalString("redis.url", isSecret: true) {
            let parsed = try ConnectionURL(text, key: "redis.url")
            switch parsed.scheme {
            case "redis": break
            case "rediss":
                throw ConfigurationFailure(
                    key: "redis.url",
                    problem: "rediss:// (TLS) is not supported: tally links Debian 12's hiredis 0.14, which has no TLS "
                        + "(hiredis_ssl arrived in hiredis 1.0). Reach a TLS-only Redis through a local TLS tunnel "
                        + "(stunnel or ghostunnel on the worker's host or as a sidecar) and point redis.url at its "
                        + "plain redis://127.0.0.1 end.")
            default:
                throw ConfigurationFailure(key: "redis.url", problem: "scheme \(parsed.scheme):// is not redis://")
            }
            if let database = parsed.path, !database.isEmpty, database != "0" {
                throw ConfigurationFailure(
                    key: "redis.url",
                    problem: "database \(database): only database 0 is supported (tally's state is one keyspace, and Redis Cluster, where destinations could one day be sharded by their hash tag, has no other)")
            }
            if let name = parsed.query.keys.sorted().first {
                throw ConfigurationFailure(key: "redis.url", problem: "unknown query parameter \(name)")
            }
            url = parsed
        }
        let parts = ConnectionURLParts(url: url, urlKey: "redis.url", provenance: provenance)
        var endpoint = defaults
        endpoint.host = parts.pick("redis.host", config.string(forKey: "redis.host", default: defaults.host), url?.host)
        endpoint.port = parts.pick("redis.port", try config.port("redis.port", default: defaults.port), url.map { $0.port ?? 6379 })
        let user = parts.pick("redis.user", config.optionalString("redis.user"), url.map { $0.user.flatMap { $0.isEmpty ? nil : $0 } })
        endpoint.username = user == "default" ? nil : user
        endpoint.password = parts.pick("redis.password", config.optionalString("redis.password", isSecret: true), url.map { $0.password })
        guard !endpoint.host.isEmpty else { throw ConfigurationFailure(key: "redis.host", problem: "must not be empty") }
        endpoint.sentinels = try sentinelAddresses(config.string(forKey: "redis.sentinels", default: ""))
        endpoint.masterName = config.string(forKey: "redis.masterName", default: defaults.masterName)
        guard !endpoint.masterName.isEmpty else {
            throw ConfigurationFailure(key: "redis.masterName", problem: "must not be empty")
        }
        return endpoint
    }

    /// `redis.sentinels`: `host:port` entries separated by commas; empty: none.
    static func sentinelAddresses(_ text: String) throws(ConfigurationFailure) -> [SentinelAddress] {
        try HostPortList.parse(text, key: "redis.sentinels", example: "sentinel-1:26379").map { SentinelAddress(host: $0.host, port: $0.port) }
    }
}
