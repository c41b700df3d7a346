/// A message received from a queue, copied out of rabbitmq-c's buffers.
public struct AMQPDelivery: Sendable {
    public let deliveryTag: UInt64
    public let redelivered: Bool
    public let exchange: String
    public let routingKey: String
    public let body: [UInt8]
    public let messageId: String?
    public let headers: [String: AMQPFieldValue]
}

/// What a published message carries besides its body.
public struct AMQPOutgoing: Sendable {
    public var exchange: String
    public var routingKey: String
    public var messageId: String?
    public var contentType: String?
    /// Survives a broker restart (delivery mode 2).
    public var persistent: Bool
    public var headers: [(String, AMQPFieldValue)]

    public init(
        exchange: String, routingKey: String, messageId: String? = nil, contentType: String? = "application/json",
        persistent: Bool = true, headers: [(String, AMQPFieldValue)] = []
    ) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.messageId = messageId
        self.contentType = contentType
        self.persistent = persistent
        self.headers = headers
    }
}

/// A broker's answer to a publish on a channel in confirm mode.
public struct AMQPConfirm: Sendable, Equatable {
    public let isAck: Bool
    public let deliveryTag: UInt64
    public let multiple: Bool
}
