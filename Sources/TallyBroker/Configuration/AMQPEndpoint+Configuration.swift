import Configuration
import Foundation
import TallyAMQPClient
import TallyRuntime

/// The `amqp.*` keys, shared by every process that speaks to the broker.
///
/// `amqp.url` sets every part at once, TLS included. A part key
/// (`amqp.host`, `amqp.port`, …) overrides its part when it comes from the
/// same or a higher-precedence source than the URL (flag > environment >
/// file > default): so `--amqp-url` on the command line wins over an
/// exported `TALLY_AMQP_PORT`, while a `TALLY_AMQP_PORT` still adjusts a URL
/// from the file.
extension AMQPEndpoint {
    /// Query parameters of `amqp.url` (the names RabbitMQ's URI spec uses
    /// for TLS) and the keys they stand for.
    static let urlQuery = [
        "cacertfile": "amqp.tls.caFile", "certfile": "amqp.tls.certFile", "keyfile": "amqp.tls.keyFile",
        "verify": "amqp.tls.verifyPeer", "verify_hostname": "amqp.tls.verifyHostname",
    ]

    /// The endpoint the `amqp.*` keys of `config` describe.
    public static func configured(
        from config: ConfigReader, _ provenance: ConfigurationProvenance, defaults: AMQPEndpoint = AMQPEndpoint()
    ) throws(ConfigurationFailure) -> AMQPEndpoint {
        var url: ConnectionURL?
        if let text = config.optionalString("amqp.url", isSecret: true) {
            let parsed = try ConnectionURL(text, key: "amqp.url")
            guard parsed.scheme == "amqp" || parsed.scheme == "amqps" else {
                throw ConfigurationFailure(key: "amqp.url", problem: "scheme \(parsed.scheme):// is not amqp:// or amqps://")
            }
            if let unknown = parsed.query.keys.sorted().first(where: { urlQuery[$0] == nil }) {
                throw ConfigurationFailure(
                    key: "amqp.url",
                    problem: "unknown query parameter \(unknown) (known: \(urlQuery.keys.sorted().joined(separator: ", ")))")
            }
            url = parsed
        }
        let parts = ConnectionURLParts(url: url, urlKey: "amqp.url", provenance: provenance)
        let tlsFromURL = url.map { $0.scheme == "amqps" }

        var endpoint = defaults
        endpoint.host = parts.pick("amqp.host", config.string(forKey: "amqp.host", default: defaults.host), url?.host)
        let defaultPort = tlsFromURL == true ? 5671 : 5672
        endpoint.port = parts.pick("amqp.port", try config.port("amqp.port", default: defaults.port), url.map { $0.port ?? defaultPort })
        endpoint.user = parts.pick("amqp.user", config.string(forKey: "amqp.user", default: defaults.user), url?.user)
        endpoint.password = parts.pick(
            "amqp.password", config.string(forKey: "amqp.password", isSecret: true, default: defaults.password), url?.password)
        endpoint.virtualHost = parts.pick(
            "amqp.vhost", config.string(forKey: "amqp.vhost", default: defaults.virtualHost),
            url.map { ($0.path ?? "").isEmpty ? "/" : $0.path! })

        endpoint.heartbeatSeconds = try config.nonNegative("amqp.heartbeatSeconds", default: defaults.heartbeatSeconds)
        guard endpoint.heartbeatSeconds <= 65_535 else {
            throw ConfigurationFailure(key: "amqp.heartbeatSeconds", problem: "must be at most 65535 (0 disables heartbeats)")
        }
        endpoint.maxMessageBytes = try config.positive("amqp.maxMessageBytes", default: defaults.maxMessageBytes)
        guard endpoint.maxMessageBytes <= 536_870_912 else {
            throw ConfigurationFailure(key: "amqp.maxMessageBytes", problem: "must be at most 536870912 (RabbitMQ's largest max_message_size)")
        }

        let tlsEnabled = parts.pick("amqp.tls.enabled", config.bool(forKey: "amqp.tls.enabled", default: false), tlsFromURL)
        let query = url?.query ?? [:]
        var tls = AMQPTLSSettings()
        tls.caFile = parts.pick("amqp.tls.caFile", config.optionalString("amqp.tls.caFile"), query["cacertfile"].map { Optional($0) })
        tls.certFile = parts.pick("amqp.tls.certFile", config.optionalString("amqp.tls.certFile"), query["certfile"].map { Optional($0) })
        tls.keyFile = parts.pick("amqp.tls.keyFile", config.optionalString("amqp.tls.keyFile"), query["keyfile"].map { Optional($0) })
        tls.verifyPeer = parts.pick(
            "amqp.tls.verifyPeer", config.bool(forKey: "amqp.tls.verifyPeer", default: true),
            try query["verify"].map { value throws(ConfigurationFailure) in
                switch value {
                case "verify_peer": return true
                case "verify_none": return false
                default: throw ConfigurationFailure(key: "amqp.url", problem: "verify=\(value): use verify_peer or verify_none")
                }
            })
        tls.verifyHostname = parts.pick(
            "amqp.tls.verifyHostname", config.bool(forKey: "amqp.tls.verifyHostname", default: true),
            try query["verify_hostname"].map { value throws(ConfigurationFailure) in
                guard let flag = Bool(value) else {
                    throw ConfigurationFailure(key: "amqp.url", problem: "verify_hostname=\(value): use true or false")
                }
                return flag
            })
        guard !endpoint.host.isEmpty else { throw ConfigurationFailure(key: "amqp.host", problem: "must not be empty") }
        endpoint.failoverHosts = try HostPortList.parse(
            config.string(forKey: "amqp.failoverHosts", default: ""), key: "amqp.failoverHosts", example: "rabbitmq-1:5672"
        ).map { AMQPEndpoint.Address(host: $0.host, port: $0.port) }
        if tlsEnabled {
            try check(tls)
            endpoint.tls = tls
        }
        return endpoint
    }

    private static func check(_ tls: AMQPTLSSettings) throws(ConfigurationFailure) {
        if tls.verifyPeer && tls.caFile == nil {
            throw ConfigurationFailure(
                key: "amqp.tls.caFile",
                problem: "required with TLS when amqp.tls.verifyPeer is true: rabbitmq-c loads no system CA store "
                    + "(name the broker's CA, e.g. /etc/ssl/certs/ca-certificates.crt for a public one)")
        }
        if (tls.certFile == nil) != (tls.keyFile == nil) {
            throw ConfigurationFailure(
                key: tls.certFile == nil ? "amqp.tls.certFile" : "amqp.tls.keyFile",
                problem: "a client certificate needs both amqp.tls.certFile and amqp.tls.keyFile")
        }
        for (key, path) in [("amqp.tls.caFile", tls.caFile), ("amqp.tls.certFile", tls.certFile), ("amqp.tls.keyFile", tls.keyFile)] {
            if let path, !FileManager.default.isReadableFile(atPath: path) {
                throw ConfigurationFailure(key: key, problem: "cannot read \(path)")
            }
        }
    }
}
