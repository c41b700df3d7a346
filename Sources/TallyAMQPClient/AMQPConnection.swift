import CRabbitMQ
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// A blocking AMQP 0-9-1 connection with one channel, over rabbitmq-c.
///
/// rabbitmq-c is blocking and not thread-safe: a connection is confined to
/// the thread that made it, and is deliberately not `Sendable`. Every failure surfaces as an ``AMQPError``; after
/// one the connection is unusable and the caller reconnects.
public final class AMQPConnection {
    private let state: amqp_connection_state_t
    private let channel: amqp_channel_t = 1
    private var isOpen = false
    public let endpoint: AMQPEndpoint

    /// The broker this connection reached: ``AMQPEndpoint/host`` or one of
    /// its failover hosts.
    public let address: AMQPEndpoint.Address

    /// Connects to the endpoint's broker, or, when it cannot be reached, to
    /// each of its failover hosts in turn (a cluster's other nodes: the
    /// quorum queues are there too). Only reaching a broker fails over; a
    /// refused login does not (every node has the same users).
    public init(_ endpoint: AMQPEndpoint) throws(AMQPError) {
        self.endpoint = endpoint
        var unreachable: [String] = []
        var opened: (amqp_connection_state_t, AMQPEndpoint.Address)?
        for address in endpoint.addresses {
            guard let candidate = amqp_new_connection() else { throw AMQPError(.connect, "cannot allocate a connection") }
            do throws(AMQPError) {
                let socket = try Self.socket(for: endpoint, state: candidate)
                var timeout = Self.timeval(milliseconds: endpoint.connectTimeoutMilliseconds)
                let status = amqp_socket_open_noblock(socket, address.host, Int32(address.port), &timeout)
                guard status == AMQP_STATUS_OK.rawValue else { throw AMQPError(.connect, "\(address): \(Self.statusText(status))") }
                opened = (candidate, address)
                break
            } catch {
                amqp_destroy_connection(candidate)
                unreachable.append(error.message)
            }
        }
        guard let (state, address) = opened else {
            throw AMQPError(.connect, "\(endpoint.redactedURL): no broker reachable (\(unreachable.joined(separator: "; ")))")
        }
        self.state = state
        self.address = address
        let login = tally_amqp_login_plain_notifying_cancel(
            state, endpoint.virtualHost, 0, 131_072, Int32(endpoint.heartbeatSeconds), endpoint.user, endpoint.password)
        try check(login, "login as \(endpoint.user)", code: .connect)
        // Every RPC (declare, channel.close, …) waits at most this long, so a
        // broker that stopped answering becomes an error, never a hang.
        var rpcTimeout = Self.timeval(milliseconds: Self.rpcTimeoutMilliseconds)
        amqp_set_rpc_timeout(state, &rpcTimeout)
        amqp_channel_open(state, channel)
        try check(amqp_get_rpc_reply(state), "channel.open", code: .connect)
        isOpen = true
    }

    deinit {
        close()
        amqp_destroy_connection(state)
    }

    /// Closes politely, waiting at most a second for the broker (which may
    /// be gone: the connection is then simply dropped); errors are ignored.
    public func close() {
        guard isOpen else { return }
        isOpen = false
        var quick = Self.timeval(milliseconds: 1_000)
        amqp_set_rpc_timeout(state, &quick)
        amqp_channel_close(state, channel, AMQP_REPLY_SUCCESS)
        amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }

    /// A plain TCP socket, or a TLS one set up from ``AMQPEndpoint/tls``.
    private static func socket(
        for endpoint: AMQPEndpoint, state: amqp_connection_state_t
    ) throws(AMQPError) -> OpaquePointer {
        guard let tls = endpoint.tls else {
            guard let socket = amqp_tcp_socket_new(state) else { throw AMQPError(.connect, "cannot allocate a socket") }
            return socket
        }
        guard let socket = amqp_ssl_socket_new(state) else { throw AMQPError(.connect, "cannot allocate a TLS socket") }
        if let caFile = tls.caFile {
            let status = amqp_ssl_socket_set_cacert(socket, caFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw AMQPError(.connect, "TLS CA file \(caFile): \(statusText(status))")
            }
        }
        if let certFile = tls.certFile, let keyFile = tls.keyFile {
            let status = amqp_ssl_socket_set_key(socket, certFile, keyFile)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw AMQPError(.connect, "TLS client certificate \(certFile) / key \(keyFile): \(statusText(status))")
            }
        }
        amqp_ssl_socket_set_verify_peer(socket, tls.verifyPeer ? 1 : 0)
        amqp_ssl_socket_set_verify_hostname(socket, tls.verifyHostname ? 1 : 0)
        return socket
    }

    /// Longest wait for an RPC answer.
    static let rpcTimeoutMilliseconds = 30_000

    // MARK: Topology

    public func declareExchange(_ name: String, type: String, durable: Bool = true) throws(AMQPError) {
        let arena = CallArena()
        amqp_exchange_declare(
            state, channel, arena.bytes(name), arena.bytes(type), 0, durable ? 1 : 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "declare exchange \(name)")
    }

    /// Declares a durable queue; a queue that exists with other arguments is
    /// an error from the broker (PRECONDITION_FAILED), reported as such.
    @discardableResult
    public func declareQueue(_ name: String, arguments: [(String, AMQPFieldValue)] = []) throws(AMQPError) -> QueueStatus {
        let arena = CallArena()
        let ok = amqp_queue_declare(state, channel, arena.bytes(name), 0, 1, 0, 0, arena.table(arguments))
        try check(amqp_get_rpc_reply(state), "declare queue \(name)")
        return QueueStatus(messages: Int(ok?.pointee.message_count ?? 0), consumers: Int(ok?.pointee.consumer_count ?? 0))
    }

    /// Counts of an existing queue (a passive declare).
    public func queueStatus(_ name: String) throws(AMQPError) -> QueueStatus {
        let arena = CallArena()
        let ok = amqp_queue_declare(state, channel, arena.bytes(name), 1, 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "inspect queue \(name)")
        return QueueStatus(messages: Int(ok?.pointee.message_count ?? 0), consumers: Int(ok?.pointee.consumer_count ?? 0))
    }

    public func bindQueue(_ queue: String, exchange: String, routingKey: String) throws(AMQPError) {
        let arena = CallArena()
        amqp_queue_bind(state, channel, arena.bytes(queue), arena.bytes(exchange), arena.bytes(routingKey), amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "bind \(queue) to \(exchange)")
    }

    @discardableResult
    public func purgeQueue(_ queue: String) throws(AMQPError) -> Int {
        let arena = CallArena()
        let ok = amqp_queue_purge(state, channel, arena.bytes(queue))
        try check(amqp_get_rpc_reply(state), "purge \(queue)")
        return Int(ok?.pointee.message_count ?? 0)
    }

    public func deleteQueue(_ queue: String) throws(AMQPError) {
        let arena = CallArena()
        amqp_queue_delete(state, channel, arena.bytes(queue), 0, 0)
        try check(amqp_get_rpc_reply(state), "delete \(queue)")
    }

    // MARK: Publishing

    /// Puts the channel in confirm mode: every publish is answered by an
    /// ``AMQPConfirm`` numbered 1, 2, 3… (see `ConfirmTracker`).
    public func enableConfirms() throws(AMQPError) {
        amqp_confirm_select(state, channel)
        try check(amqp_get_rpc_reply(state), "confirm.select")
    }

    /// Runs `body` — a run of publishes and nothing else — and writes the
    /// frames of its publishes without headers (the worker's notifications
    /// and alerts) with as few `send`s as the socket takes, where
    /// rabbitmq-c makes three per message (``PublishFrames``). A message
    /// with headers flushes what came before and goes through rabbitmq-c;
    /// so does everything over TLS, where rabbitmq-c's socket must write:
    /// there the socket is corked instead (`TCP_CORK`), which gathers the
    /// frames into full segments if not into fewer system calls. A batch's
    /// outputs go out together anyway (their confirms are awaited after the
    /// last), so nothing waits longer. Frames still unwritten when `body`
    /// throws are dropped: the connection is unusable after a failure.
    public func withBatchedPublishes<R>(_ body: () throws -> R) throws -> R {
        guard endpoint.tls == nil, amqp_get_sockfd(state) >= 0 else { return try withCorkedWrites(body) }
        batchingPublishes = true
        defer {
            batchingPublishes = false
            publishFrames.removeAll()
        }
        let result = try body()
        try writePublishFrames()
        return result
    }

    /// Frames of the publishes made inside ``withBatchedPublishes(_:)`` and
    /// not yet written.
    private var publishFrames = PublishFrames()
    private var batchingPublishes = false
    /// A batch's outputs take a few hundred kilobytes; past this many
    /// bytes the frames are written and gathering goes on.
    private static let publishFlushBytes = 1 << 20

    private func withCorkedWrites<R>(_ body: () throws -> R) rethrows -> R {
        let fd = amqp_get_sockfd(state)
        guard fd >= 0 else { return try body() }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_CORK, &on, socklen_t(MemoryLayout<Int32>.size))
        defer {
            var off: Int32 = 0
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_CORK, &off, socklen_t(MemoryLayout<Int32>.size))
        }
        return try body()
    }

    /// Writes the gathered frames to the socket (non-blocking, as rabbitmq-c
    /// leaves it): waits for room while the broker reads, at most
    /// ``rpcTimeoutMilliseconds`` at a time, so a broker that stopped
    /// reading becomes an error, never a hang.
    private func writePublishFrames() throws(AMQPError) {
        guard !publishFrames.isEmpty else { return }
        defer { publishFrames.removeAll() }
        let fd = amqp_get_sockfd(state)
        var failure: AMQPError?
        publishFrames.bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let sent = send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if sent > 0 {
                    offset += sent
                    continue
                }
                let error = errno
                if error == EINTR { continue }
                guard error == EAGAIN || error == EWOULDBLOCK else {
                    failure = AMQPError(.io, "publish: \(String(cString: strerror(error)))")
                    return
                }
                var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                let ready = poll(&descriptor, 1, Int32(Self.rpcTimeoutMilliseconds))
                if ready > 0 || (ready < 0 && errno == EINTR) { continue }
                failure = AMQPError(
                    .io, ready == 0 ? "publish: the broker read nothing for \(Self.rpcTimeoutMilliseconds) ms"
                        : "publish: \(String(cString: strerror(errno)))")
                return
            }
        }
        if let failure {
            // Part of a frame may be on the socket: a polite close would
            // write its frames after it, which the broker reads as the rest.
            // The connection is dropped without another byte.
            isOpen = false
            shutdown(fd, Int32(SHUT_RDWR))
            throw failure
        }
    }

    public func publish(_ message: AMQPOutgoing, body: UnsafeRawBufferPointer) throws(AMQPError) {
        try Self.checkEncodable(message, bodyBytes: body.count, maxMessageBytes: endpoint.maxMessageBytes)
        if batchingPublishes {
            if message.headers.isEmpty {
                publishFrames.append(message, body: body, channel: channel, frameMax: Int(amqp_get_frame_max(state)))
                if publishFrames.bytes.count >= Self.publishFlushBytes { try writePublishFrames() }
                return
            }
            try writePublishFrames()  // what was published before goes first
        }
        let payload = amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress))
        let status: Int32
        if message.headers.isEmpty {
            status = publishBorrowing(message, payload)
        } else {
            status = publishCopying(message, payload)
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError(.io, "publish to \(message.exchange): \(Self.statusText(status))")
        }
    }

    /// AMQP short strings (exchange, routing key, message id, content type,
    /// header names) hold at most 255 bytes; rabbitmq-c would fail the
    /// publish mid-frame. Checked first, so a message that cannot be sent
    /// costs its batchmates nothing.
    public static func checkEncodable(_ message: AMQPOutgoing, bodyBytes: Int, maxMessageBytes: Int) throws(AMQPError) {
        func short(_ name: String, _ value: String?) throws(AMQPError) {
            guard let value, value.utf8.count > 255 else { return }
            throw AMQPError(.unencodable, "the \(name) is \(value.utf8.count) bytes; AMQP short strings hold at most 255")
        }
        try short("exchange", message.exchange)
        try short("routing key", message.routingKey)
        try short("message id", message.messageId)
        try short("content type", message.contentType)
        for (name, _) in message.headers { try short("header name", name) }
        guard bodyBytes <= maxMessageBytes else {
            throw AMQPError(.unencodable, "the body is \(bodyBytes) bytes; the broker takes at most \(maxMessageBytes) (amqp.maxMessageBytes)")
        }
    }

    /// The common case (notifications, alerts): no headers, so the strings
    /// are lent to rabbitmq-c straight from their UTF-8 storage — it copies
    /// them into its frame buffer before returning — and a publish costs no
    /// allocation here.
    private func publishBorrowing(_ message: AMQPOutgoing, _ payload: amqp_bytes_t) -> Int32 {
        var exchange = message.exchange
        var routingKey = message.routingKey
        var messageId = message.messageId ?? ""
        var contentType = message.contentType ?? ""
        return exchange.withUTF8 { exchange in
            routingKey.withUTF8 { routingKey in
                messageId.withUTF8 { messageIdBytes in
                    contentType.withUTF8 { contentTypeBytes in
                        var properties = amqp_basic_properties_t()
                        properties._flags = 0
                        if message.contentType != nil {
                            properties._flags |= TALLY_FLAG_CONTENT_TYPE
                            properties.content_type = Self.borrowed(contentTypeBytes)
                        }
                        if message.persistent {
                            properties._flags |= TALLY_FLAG_DELIVERY_MODE
                            properties.delivery_mode = 2
                        }
                        if message.messageId != nil {
                            properties._flags |= TALLY_FLAG_MESSAGE_ID
                            properties.message_id = Self.borrowed(messageIdBytes)
                        }
                        return amqp_basic_publish(
                            state, channel, Self.borrowed(exchange), Self.borrowed(routingKey), 0, 0, &properties, payload)
                    }
                }
            }
        }
    }

    /// With headers (dead letters): the table is built in a ``CallArena``.
    private func publishCopying(_ message: AMQPOutgoing, _ payload: amqp_bytes_t) -> Int32 {
        let arena = CallArena()
        var properties = amqp_basic_properties_t()
        properties._flags = 0
        if let contentType = message.contentType {
            properties._flags |= TALLY_FLAG_CONTENT_TYPE
            properties.content_type = arena.bytes(contentType)
        }
        if message.persistent {
            properties._flags |= TALLY_FLAG_DELIVERY_MODE
            properties.delivery_mode = 2
        }
        if let messageId = message.messageId {
            properties._flags |= TALLY_FLAG_MESSAGE_ID
            properties.message_id = arena.bytes(messageId)
        }
        properties._flags |= TALLY_FLAG_HEADERS
        properties.headers = arena.table(message.headers)
        return amqp_basic_publish(
            state, channel, arena.bytes(message.exchange), arena.bytes(message.routingKey), 0, 0, &properties, payload)
    }

    /// An `amqp_bytes_t` over memory that outlives the call it is passed to.
    private static func borrowed(_ bytes: UnsafeBufferPointer<UInt8>) -> amqp_bytes_t {
        guard bytes.count > 0, let base = bytes.baseAddress else { return amqp_empty_bytes }
        return amqp_bytes_t(len: bytes.count, bytes: UnsafeMutableRawPointer(mutating: base))
    }

    /// Publishes a text body straight from the string's UTF-8 storage.
    public func publish(_ message: AMQPOutgoing, text: String) throws(AMQPError) {
        var text = text
        var failure: AMQPError?
        text.withUTF8 { utf8 in
            do throws(AMQPError) { try publish(message, body: UnsafeRawBufferPointer(utf8)) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    public func publish(_ message: AMQPOutgoing, body: [UInt8]) throws(AMQPError) {
        var failure: AMQPError?
        body.withUnsafeBytes { raw in
            do throws(AMQPError) { try publish(message, body: raw) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// The next publisher confirm, or nil if none arrives within the timeout.
    public func nextConfirm(timeoutMilliseconds: Int) throws(AMQPError) -> AMQPConfirm? {
        try writePublishFrames()  // a confirm can only come for what was sent
        // rabbitmq-c keeps every received frame in a pool until released;
        // confirms are copied out below, so the pool can go now. Without
        // this a publisher connection grows by every confirm it receives.
        amqp_maybe_release_buffers(state)
        var frame = amqp_frame_t()
        var timeout = Self.timeval(milliseconds: timeoutMilliseconds)
        let status = amqp_simple_wait_frame_noblock(state, &frame, &timeout)
        if status == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        guard status == AMQP_STATUS_OK.rawValue else {
            throw AMQPError(.io, "waiting for confirms: \(Self.statusText(status))")
        }
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return nil }
        let method = frame.payload.method
        switch method.id {
        case TALLY_METHOD_BASIC_ACK:
            let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
            return AMQPConfirm(isAck: true, deliveryTag: ack.delivery_tag, multiple: ack.multiple != 0)
        case TALLY_METHOD_BASIC_NACK:
            let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
            return AMQPConfirm(isAck: false, deliveryTag: nack.delivery_tag, multiple: nack.multiple != 0)
        default:
            try handleUnexpected(method)
            return nil
        }
    }

    /// Lets rabbitmq-c send a due heartbeat and notice a missed one on a
    /// connection that is otherwise idle (a publisher between batches):
    /// rabbitmq-c has no thread of its own and only does so inside its
    /// calls. Call only when no confirm is outstanding: a frame read here
    /// is handled (close, cancel) or dropped.
    public func keepAlive() throws(AMQPError) {
        guard endpoint.heartbeatSeconds > 0 else { return }
        _ = try nextConfirm(timeoutMilliseconds: 0)
    }

    // MARK: Consuming

    public func setPrefetch(_ count: Int) throws(AMQPError) {
        amqp_basic_qos(state, channel, 0, UInt16(clamping: count), 0)
        try check(amqp_get_rpc_reply(state), "basic.qos")
    }

    /// Starts a consumer with manual acks on `queue`.
    public func consume(_ queue: String) throws(AMQPError) {
        let arena = CallArena()
        amqp_basic_consume(state, channel, arena.bytes(queue), amqp_empty_bytes, 0, 0, 0, amqp_empty_table)
        try check(amqp_get_rpc_reply(state), "consume \(queue)")
    }

    /// The next delivery, or nil when none arrives within the timeout.
    public func nextDelivery(timeoutMilliseconds: Int) throws(AMQPError) -> AMQPDelivery? {
        amqp_maybe_release_buffers(state)
        var envelope = amqp_envelope_t()
        var timeout = Self.timeval(milliseconds: timeoutMilliseconds)
        let reply = amqp_consume_message(state, &envelope, &timeout, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            defer { amqp_destroy_envelope(&envelope) }
            return Self.delivery(
                tag: envelope.delivery_tag, redelivered: envelope.redelivered != 0, exchange: envelope.exchange,
                routingKey: envelope.routing_key, message: envelope.message)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return nil
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            // A frame other than a delivery: a close or a cancel.
            var frame = amqp_frame_t()
            let status = amqp_simple_wait_frame(state, &frame)
            guard status == AMQP_STATUS_OK.rawValue else {
                throw AMQPError(.io, "consuming: \(Self.statusText(status))")
            }
            if frame.frame_type == UInt8(AMQP_FRAME_METHOD) { try handleUnexpected(frame.payload.method) }
            return nil
        default:
            try check(reply, "consuming")
            return nil
        }
    }

    /// Fetches one message without a consumer (`basic.get`), unacked.
    public func get(_ queue: String) throws(AMQPError) -> AMQPDelivery? {
        amqp_maybe_release_buffers(state)
        let arena = CallArena()
        let reply = amqp_basic_get(state, channel, arena.bytes(queue), 0)
        try check(reply, "get from \(queue)")
        if reply.reply.id == TALLY_METHOD_BASIC_GET_EMPTY { return nil }
        let ok = reply.reply.decoded.assumingMemoryBound(to: amqp_basic_get_ok_t.self).pointee
        var message = amqp_message_t()
        try check(amqp_read_message(state, channel, &message, 0), "read message from \(queue)")
        defer { amqp_destroy_message(&message) }
        return Self.delivery(
            tag: ok.delivery_tag, redelivered: ok.redelivered != 0, exchange: ok.exchange,
            routingKey: ok.routing_key, message: message)
    }

    public func ack(_ deliveryTag: UInt64, multiple: Bool) throws(AMQPError) {
        try checkStatus(amqp_basic_ack(state, channel, deliveryTag, multiple ? 1 : 0), "ack")
    }

    /// Returns a delivery to the queue (`requeue`) or to its dead-letter exchange.
    public func reject(_ deliveryTag: UInt64, requeue: Bool) throws(AMQPError) {
        try checkStatus(amqp_basic_reject(state, channel, deliveryTag, requeue ? 1 : 0), "reject")
    }

    public func nack(_ deliveryTag: UInt64, multiple: Bool, requeue: Bool) throws(AMQPError) {
        try checkStatus(amqp_basic_nack(state, channel, deliveryTag, multiple ? 1 : 0, requeue ? 1 : 0), "nack")
    }

    // MARK: Helpers

    private static func delivery(
        tag: UInt64, redelivered: Bool, exchange: amqp_bytes_t, routingKey: amqp_bytes_t, message: amqp_message_t
    ) -> AMQPDelivery {
        let properties = message.properties
        let body: [UInt8] =
            message.body.len > 0 && message.body.bytes != nil
            ? Array(UnsafeRawBufferPointer(start: message.body.bytes, count: message.body.len)) : []
        let messageId =
            properties._flags & TALLY_FLAG_MESSAGE_ID != 0 ? AMQPTableReader.string(properties.message_id) : nil
        let headers = properties._flags & TALLY_FLAG_HEADERS != 0 ? AMQPTableReader.read(properties.headers) : [:]
        return AMQPDelivery(
            deliveryTag: tag, redelivered: redelivered, exchange: AMQPTableReader.string(exchange),
            routingKey: AMQPTableReader.string(routingKey), body: body, messageId: messageId, headers: headers)
    }

    /// A close or cancel from the broker: answer it and report it.
    private func handleUnexpected(_ method: amqp_method_t) throws(AMQPError) {
        switch method.id {
        case TALLY_METHOD_CHANNEL_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
            var ok = amqp_channel_close_ok_t()
            amqp_send_method(state, channel, TALLY_METHOD_CHANNEL_CLOSE_OK, &ok)
            isOpen = false
            throw AMQPError(.closedByServer, "channel closed: \(close.reply_code) \(AMQPTableReader.string(close.reply_text))")
        case TALLY_METHOD_CONNECTION_CLOSE:
            let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
            var ok = amqp_connection_close_ok_t()
            amqp_send_method(state, 0, TALLY_METHOD_CONNECTION_CLOSE_OK, &ok)
            isOpen = false
            throw AMQPError(
                .closedByServer, "connection closed: \(close.reply_code) \(AMQPTableReader.string(close.reply_text))")
        case TALLY_METHOD_BASIC_CANCEL:
            throw AMQPError(.closedByServer, "the broker cancelled the consumer (queue deleted?)")
        default:
            return  // basic.return and others tally does not ask for
        }
    }

    private func check(_ reply: amqp_rpc_reply_t, _ what: String, code: AMQPError.Code = .io) throws(AMQPError) {
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            return
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            do {
                try handleUnexpected(reply.reply)
            } catch {
                throw AMQPError(error.code, "\(what): \(error.message)")
            }
            throw AMQPError(.closedByServer, "\(what): unexpected server reply \(reply.reply.id)")
        case AMQP_RESPONSE_LIBRARY_EXCEPTION:
            throw AMQPError(code, "\(what): \(Self.statusText(reply.library_error))")
        default:
            throw AMQPError(code, "\(what): no reply")
        }
    }

    private func checkStatus(_ status: Int32, _ what: String) throws(AMQPError) {
        guard status == AMQP_STATUS_OK.rawValue else { throw AMQPError(.io, "\(what): \(Self.statusText(status))") }
    }

    private static func statusText(_ status: Int32) -> String {
        String(cString: amqp_error_string2(status))
    }

    private static func timeval(milliseconds: Int) -> Glibc.timeval {
        Glibc.timeval(tv_sec: milliseconds / 1000, tv_usec: (milliseconds % 1000) * 1000)
    }
}

/// How many messages wait in a queue and how many consumers read it.
public struct QueueStatus: Sendable, Equatable {
    public let messages: Int
    public let consumers: Int
}
