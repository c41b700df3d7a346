/// Where the broker is and how to log in.
public struct AMQPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// 0 disables heartbeats. The worker notices a broker that is gone
    /// through socket errors, RPC timeouts (30 s) and its confirm timeout;
    /// a silently half-open TCP connection while idle is not detected
    /// (heartbeats with an idle publisher poll are the planned fix).
    public var heartbeatSeconds: Int
    public var connectTimeoutMilliseconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
        virtualHost: String = "/", heartbeatSeconds: Int = 0, connectTimeoutMilliseconds: Int = 3_000
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.virtualHost = virtualHost
        self.heartbeatSeconds = heartbeatSeconds
        self.connectTimeoutMilliseconds = connectTimeoutMilliseconds
    }
}
