/// A failure talking to RabbitMQ. Callers never need CRabbitMQ to read one.
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable { case connect, io, closedByServer, refused, timeout, unencodable }
        private let kind: Kind
        /// The TCP connection or the login failed.
        public static let connect = Code(kind: .connect)
        /// The socket broke or the library failed mid-conversation: reconnect.
        public static let io = Code(kind: .io)
        /// The broker closed the channel or connection (e.g. a declare with
        /// other arguments, or an operator's close_all_connections).
        public static let closedByServer = Code(kind: .closedByServer)
        /// The broker answered a publish with a nack.
        public static let refused = Code(kind: .refused)
        /// Confirms did not arrive in time.
        public static let timeout = Code(kind: .timeout)
        /// A message AMQP cannot carry (a short string over 255 bytes, a
        /// body over the broker's `max_message_size`); nothing was sent and
        /// the connection is intact.
        public static let unencodable = Code(kind: .unencodable)
        public var description: String { "\(kind)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "amqp \(code): \(message)" }
}
