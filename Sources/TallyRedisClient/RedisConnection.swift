import CHiredis
#if canImport(Glibc)
import Glibc
#endif
import Logging

/// A blocking connection to Redis over hiredis.
///
/// hiredis is blocking and not thread-safe, so a connection is confined to
/// the one thread that made it; it is deliberately not `Sendable`.
/// Throughput comes from sending many commands before reading any reply:
/// ``sendTransaction(count:_:)`` and ``receiveTransaction(count:)`` (split
/// so the caller can work while Redis does) and ``pipeline(_:)``.
public final class RedisConnection {
    private let context: UnsafeMutablePointer<redisContext>
    public let endpoint: RedisEndpoint

    /// hiredis writes with plain `write(2)`: to a Redis that died, that
    /// raises SIGPIPE, whose default action kills the process silently.
    /// Ignored once, process-wide, so the write fails with EPIPE instead and
    /// the caller sees an ordinary ``RedisError/Code/io`` and reconnects.
    private static let brokenPipesAreErrors: Void = {
        _ = signal(SIGPIPE, SIG_IGN)
    }()

    /// Connects to the endpoint's server, or, when it names Sentinels, to
    /// the primary they report now — checked with `ROLE`, since a Sentinel's
    /// answer can lag a failover; a server that is not (yet) the primary is
    /// a connect failure the caller retries. After a failover the old
    /// primary answers writes with `READONLY` (or is gone): the caller
    /// reconnects and this asks the Sentinels again.
    public init(_ endpoint: RedisEndpoint) throws(RedisError) {
        Self.brokenPipesAreErrors
        self.endpoint = endpoint
        let (host, port) = endpoint.sentinels.isEmpty ? (endpoint.host, endpoint.port) : try RedisSentinels.primary(of: endpoint)
        let connectTimeout = Self.timeval(milliseconds: endpoint.connectTimeoutMilliseconds)
        guard let context = redisConnectWithTimeout(host, Int32(port), connectTimeout) else {
            throw RedisError(.connect, "cannot allocate a hiredis context")
        }
        if context.pointee.err != 0 {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError(.connect, "\(host):\(port): \(message)")
        }
        self.context = context
        redisSetTimeout(context, Self.timeval(milliseconds: endpoint.commandTimeoutMilliseconds))
        if let password = endpoint.password {
            let auth = endpoint.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password)
            let reply = try command(auth)
            if let error = reply.errorMessage { throw RedisError(.connect, "AUTH failed: \(error)") }
        }
        if !endpoint.sentinels.isEmpty {
            let role = try command(RedisCommand("ROLE")).elements?.first?.text
            guard role == "master" else {
                throw RedisError(
                    .connect,
                    "\(host):\(port), which the Sentinels name primary of \(endpoint.masterName), is \(role ?? "of no known role") (a failover in progress)")
            }
        }
    }

    deinit {
        redisFree(context)
    }

    /// Sends one command and waits for its reply.
    public func command(_ command: RedisCommand) throws(RedisError) -> RedisReply {
        try append(command)
        return try readReply()
    }

    /// Sends all commands, then reads all replies, in order.
    public func pipeline(_ commands: [RedisCommand]) throws(RedisError) -> [RedisReply] {
        for command in commands { try append(command) }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands { replies.append(try readReply()) }
        return replies
    }

    /// Sends `count` commands inside `MULTI`/`EXEC`, each written by
    /// `write` into a buffer reused for all of them (a batch of records costs
    /// no array of commands and no allocation per command), and writes them
    /// out now, so Redis works on them while the caller does something else;
    /// ``receiveTransaction(count:)`` reads the replies.
    ///
    /// Redis runs the queued commands in one go at `EXEC`, so with
    /// `appendfsync always` they cost one AOF write and one fsync, where a
    /// plain pipeline arriving in several socket reads costs one per event
    /// loop turn. A command's error reply stays its own (Redis does not
    /// roll back), so one failing call does not hide the others.
    public func sendTransaction(count: Int, _ write: (_ index: Int, _ command: inout RedisCommand) -> Void) throws(RedisError) {
        try append(Self.multi)
        for index in 0..<count {
            scratch.removeAll()
            write(index, &scratch)
            try append(scratch)
        }
        try append(Self.exec)
        try flush()
    }

    private static let multi = RedisCommand("MULTI")
    private static let exec = RedisCommand("EXEC")
    /// The buffer ``sendTransaction(count:_:)`` writes each command into.
    private var scratch = RedisCommand()

    /// The replies to ``sendTransaction(count:_:)``, for `count` commands.
    public func receiveTransaction(count: Int) throws(RedisError) -> [RedisReply] {
        let opened = try readReply()
        if let error = opened.errorMessage { throw RedisError(.unexpectedReply, "MULTI: \(error)") }
        var refused: String?
        for _ in 0..<count {
            if let error = try readReply().errorMessage, refused == nil { refused = error }
        }
        let executed = try readReply()
        guard case .array(let replies) = executed, replies.count == count else {
            throw RedisError(.unexpectedReply, "EXEC: \(executed.errorMessage ?? refused ?? "\(executed)")")
        }
        return replies
    }

    /// Writes every buffered command to the socket without reading.
    public func flush() throws(RedisError) {
        var done: Int32 = 0
        while done == 0 {
            guard redisBufferWrite(context, &done) == REDIS_OK else { throw failure() }
        }
    }

    /// Buffers a command; nothing is written until a reply is read.
    public func append(_ command: RedisCommand) throws(RedisError) {
        let status = command.bytes.withUnsafeBufferPointer { bytes in
            command.lengths.withUnsafeBufferPointer { lengths in
                withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: lengths.count) { argv in
                    var offset = 0
                    let base = UnsafeRawPointer(bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!)
                    for (index, length) in lengths.enumerated() {
                        argv[index] = (base + offset).assumingMemoryBound(to: CChar.self)
                        offset += length
                    }
                    return redisAppendCommandArgv(context, Int32(lengths.count), argv.baseAddress, lengths.baseAddress)
                }
            }
        }
        if status != REDIS_OK { throw failure() }
    }

    /// Reads the next reply (flushing buffered commands first).
    public func readReply() throws(RedisError) -> RedisReply {
        var raw: UnsafeMutableRawPointer?
        guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw failure() }
        defer { freeReplyObject(raw) }
        return Self.decode(raw.assumingMemoryBound(to: redisReply.self))
    }

    private func failure() -> RedisError {
        let code: RedisError.Code = context.pointee.err == REDIS_ERR_PROTOCOL ? .protocolViolation : .io
        return RedisError(code, Self.errorText(context))
    }

    private static func decode(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            return .string(bytes(r.str, r.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(r.str, r.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(r.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(r.elements))
            for index in 0..<Int(r.elements) {
                elements.append(decode(r.element[index]!))
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    private static func timeval(milliseconds: Int) -> Glibc.timeval {
        Glibc.timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}
