/// The AMQP 0-9-1 frames of `basic.publish` messages, encoded one after
/// another into one buffer, so that a batch of them reaches the socket in
/// one `send`.
///
/// rabbitmq-c sends each frame of a publish (method, content header, body)
/// with a `send` of its own: three system calls per notification, a fifth
/// of the worker's CPU at full load. Only what the worker's notifications
/// and alerts carry is encoded here (exchange, routing key, content type,
/// delivery mode, message id); a message with headers goes through
/// rabbitmq-c as before (``AMQPConnection/publish(_:body:)``).
struct PublishFrames {
    private(set) var bytes: [UInt8] = []

    /// Frame types and the end-of-frame octet (AMQP 0-9-1, 4.2.3).
    private static let methodFrame: UInt8 = 1, headerFrame: UInt8 = 2, bodyFrame: UInt8 = 3, frameEnd: UInt8 = 0xCE
    /// Class `basic` and its method `publish`.
    private static let basicClass: UInt16 = 60, publishMethod: UInt16 = 40
    /// Property flags of class `basic` (AMQP 0-9-1, 4.2.6.1: bit 15 first).
    private static let contentTypeFlag: UInt16 = 1 << 15, deliveryModeFlag: UInt16 = 1 << 12, messageIdFlag: UInt16 = 1 << 7
    /// A frame's header (type, channel, size) and its end octet.
    private static let frameOverhead = 8

    var isEmpty: Bool { bytes.isEmpty }

    /// Appends one message's frames. The short strings must hold at most 255
    /// bytes (``AMQPConnection/checkEncodable(_:bodyBytes:maxMessageBytes:)``
    /// has refused longer ones); `frameMax` is the size the broker agreed to.
    mutating func append(_ message: AMQPOutgoing, body: UnsafeRawBufferPointer, channel: UInt16, frameMax: Int) {
        precondition(message.headers.isEmpty, "a message with headers goes through rabbitmq-c")
        frame(Self.methodFrame, channel: channel) { frames in
            frames.short(Self.basicClass)
            frames.short(Self.publishMethod)
            frames.short(0)  // reserved (ticket)
            frames.shortString(message.exchange)
            frames.shortString(message.routingKey)
            frames.bytes.append(0)  // mandatory, immediate: both off
        }
        frame(Self.headerFrame, channel: channel) { frames in
            frames.short(Self.basicClass)
            frames.short(0)  // weight
            frames.long(UInt64(body.count))
            var flags: UInt16 = 0
            if message.contentType != nil { flags |= Self.contentTypeFlag }
            if message.persistent { flags |= Self.deliveryModeFlag }
            if message.messageId != nil { flags |= Self.messageIdFlag }
            frames.short(flags)
            if let contentType = message.contentType { frames.shortString(contentType) }
            if message.persistent { frames.bytes.append(2) }
            if let messageId = message.messageId { frames.shortString(messageId) }
        }
        // A frame_max of 0 means no limit (AMQP 0-9-1, 4.2.1): one body frame.
        let chunk = frameMax > Self.frameOverhead ? frameMax - Self.frameOverhead : max(body.count, 1)
        var offset = 0
        while offset < body.count {
            let end = min(offset + chunk, body.count)
            frame(Self.bodyFrame, channel: channel) { frames in
                frames.bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: body[offset..<end]))
            }
            offset = end
        }
    }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    /// A frame around what `payload` appends; its size is filled in after.
    private mutating func frame(_ type: UInt8, channel: UInt16, _ payload: (inout PublishFrames) -> Void) {
        bytes.append(type)
        short(channel)
        let sizeAt = bytes.count
        for _ in 0..<4 { bytes.append(0) }
        payload(&self)
        let size = UInt32(bytes.count - sizeAt - 4)
        for shift in 0..<4 { bytes[sizeAt + shift] = UInt8(truncatingIfNeeded: size >> (24 - 8 * shift)) }
        bytes.append(Self.frameEnd)
    }

    private mutating func short(_ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    private mutating func long(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private mutating func shortString(_ text: String) {
        bytes.append(UInt8(text.utf8.count))
        bytes.append(contentsOf: text.utf8)
    }
}
