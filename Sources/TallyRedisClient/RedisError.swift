/// A failure talking to Redis. Callers never need CHiredis to read one.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: Hashable { case connect, io, protocolViolation, unexpectedReply }
        private let kind: Kind
        /// The connection could not be made (refused, timed out, bad address).
        public static let connect = Code(kind: .connect)
        /// The connection broke or timed out mid-conversation: reconnect.
        public static let io = Code(kind: .io)
        /// hiredis could not parse what the server sent.
        public static let protocolViolation = Code(kind: .protocolViolation)
        /// The server answered, but not in the shape the caller needed.
        public static let unexpectedReply = Code(kind: .unexpectedReply)
        public var description: String { "\(kind)" }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "redis \(code): \(message)" }
}
