import Foundation

/// Where the broker is and how to log in.
public struct AMQPEndpoint: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String
    public var virtualHost: String
    /// AMQP heartbeat interval asked of the broker; 0 disables them. With
    /// heartbeats, a connection on which nothing (not even a heartbeat)
    /// arrived for two intervals fails with a heartbeat timeout, so a
    /// silently half-open TCP connection is noticed while idle. rabbitmq-c
    /// sends and checks them only inside its calls: an idle publisher must
    /// call ``AMQPConnection/keepAlive()``. 0 here (short-lived tools and
    /// test helpers); processes take `amqp.heartbeatSeconds` (default 30).
    public var heartbeatSeconds: Int
    public var connectTimeoutMilliseconds: Int
    /// TLS (`amqps://`) when set; plain TCP otherwise.
    public var tls: AMQPTLSSettings?
    /// The largest body a publish may carry: the broker's `max_message_size`
    /// (scripts/up.sh and deploy/ set it to the same 1 MiB). A larger one is
    /// refused before it is sent (``AMQPError/Code/unencodable``), so it
    /// fails alone instead of closing the channel under its batchmates.
    public var maxMessageBytes = 1_048_576
    /// Further brokers (the other nodes of a cluster, `amqp.failoverHosts`),
    /// tried in order when ``host`` cannot be reached; each connection starts
    /// from ``host`` again. Same user, vhost and TLS settings.
    public var failoverHosts: [Address] = []

    /// A broker's address.
    public struct Address: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int
        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
        public var description: String { "\(host):\(port)" }
    }

    /// ``host`` and ``port`` first, then the failover hosts.
    public var addresses: [Address] { [Address(host: host, port: port)] + failoverHosts }

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

    /// `amqp[s]://user:********@host:port/vhost`: for logs and `config print`,
    /// never the password.
    public var redactedURL: String {
        let scheme = tls == nil ? "amqp" : "amqps"
        let vhost = virtualHost.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? virtualHost
        return "\(scheme)://\(user):********@\(host):\(port)/\(vhost)"
    }
}

/// How an `amqps://` connection checks the broker and proves who it is.
///
/// rabbitmq-c (OpenSSL) loads no system CA store: peer verification needs
/// ``caFile``. Hostname verification matches `host` against the server
/// certificate's DNS names (not IP addresses), so connect by name.
public struct AMQPTLSSettings: Sendable, Equatable {
    /// PEM file of the CA(s) that signed the broker's certificate.
    public var caFile: String?
    /// PEM client certificate and its key, for brokers that ask for one.
    public var certFile: String?
    public var keyFile: String?
    /// Check the broker's certificate chain against ``caFile``.
    public var verifyPeer = true
    /// Check that the certificate names the host connected to.
    public var verifyHostname = true

    public init(
        caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, verifyPeer: Bool = true,
        verifyHostname: Bool = true
    ) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.verifyPeer = verifyPeer
        self.verifyHostname = verifyHostname
    }
}
