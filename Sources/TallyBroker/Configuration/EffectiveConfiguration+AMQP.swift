import TallyAMQPClient
import TallyRuntime

extension EffectiveConfiguration {
    /// The `amqp.*` keys of an endpoint: the URL with its password masked,
    /// then each part.
    public mutating func add(_ broker: AMQPEndpoint) {
        add("amqp.url", broker.redactedURL)
        add("amqp.host", broker.host)
        add("amqp.port", broker.port)
        add("amqp.failoverHosts", broker.failoverHosts.isEmpty ? "(none)" : broker.failoverHosts.map(\.description).joined(separator: ","))
        add("amqp.user", broker.user)
        addSecret("amqp.password", broker.password)
        add("amqp.vhost", broker.virtualHost)
        add("amqp.heartbeatSeconds", broker.heartbeatSeconds)
        add("amqp.maxMessageBytes", broker.maxMessageBytes)
        add("amqp.tls.enabled", broker.tls != nil)
        let tls = broker.tls ?? AMQPTLSSettings()
        add("amqp.tls.caFile", tls.caFile ?? "(none)")
        add("amqp.tls.certFile", tls.certFile ?? "(none)")
        add("amqp.tls.keyFile", tls.keyFile ?? "(none)")
        add("amqp.tls.verifyPeer", tls.verifyPeer)
        add("amqp.tls.verifyHostname", tls.verifyHostname)
    }
}
