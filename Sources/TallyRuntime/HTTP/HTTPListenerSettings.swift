/// Where a process listens for HTTP: the aggregator's API, the worker's
/// `/health`, `/ready` and `/metrics`. Loopback by default; a container
/// sets the host to `0.0.0.0`.
public struct HTTPListenerSettings: Sendable, Equatable {
    public var host: String
    /// 0 lets the system choose (the chosen port is logged).
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }
}
