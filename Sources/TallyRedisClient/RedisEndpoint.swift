/// Where Redis is and how long to wait for it.
public struct RedisEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// Sent with AUTH after connecting, when set.
    public var password: String?
    /// An ACL user (Redis 6+): AUTH username password. Nil is `default`.
    public var username: String?
    public var connectTimeoutMilliseconds: Int
    /// A command (or pipeline) that takes longer fails with ``RedisError/Code/io``,
    /// so a stalled Redis turns into backpressure instead of a hang.
    public var commandTimeoutMilliseconds: Int
    /// Redis Sentinels to ask for the current primary of ``masterName``
    /// (`redis.sentinels`); empty: ``host`` and ``port`` are the server.
    /// Asked on every connection, so a process follows a failover by
    /// reconnecting (see ``RedisConnection/init(_:)``).
    public var sentinels: [SentinelAddress] = []
    /// The name the Sentinels monitor the primary under (`redis.masterName`).
    public var masterName = "tally"

    /// One Sentinel's address.
    public struct SentinelAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 6379, password: String? = nil,
        connectTimeoutMilliseconds: Int = 2_000, commandTimeoutMilliseconds: Int = 10_000
    ) {
        self.host = host
        self.port = port
        self.password = password
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
        self.commandTimeoutMilliseconds = commandTimeoutMilliseconds
    }

    /// `redis://user:********@host:port`: for logs and `config print`.
    public var redactedURL: String {
        let credentials = password == nil ? "" : "\(username ?? ""):********@"
        if !sentinels.isEmpty {
            return "redis-sentinel://\(credentials)\(sentinels.map(\.description).joined(separator: ","))/\(masterName)"
        }
        return "redis://\(credentials)\(host):\(port)"
    }
}
