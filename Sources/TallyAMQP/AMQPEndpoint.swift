/// Where the broker is and how to log in.
public struct AMQPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// 0 disables heartbeats: the worker's blocking loop notices a dead
    /// broker through socket errors and its own timeouts instead.
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
