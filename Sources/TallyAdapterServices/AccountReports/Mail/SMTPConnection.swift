import NIOCore
import NIOPosix
import NIOSSL
import TallyAdapters

/// Why the connection to the SMTP server failed (not a reply: those are
/// ``SMTPReply``s the state machine judges).
struct SMTPConnectionError: Error, CustomStringConvertible {
    let description: String
}

/// One SMTP connection on SwiftNIO, used from one thread that is not an
/// event loop (the mailer's own): every call blocks until the event loop
/// has done it or the timeout has passed. It only moves bytes — lines in,
/// command lines and message bytes out, TLS on request; what to send is
/// ``SMTPClientStateMachine``'s decision.
final class SMTPConnection {
    private let channel: any Channel
    private let replies: SMTPReplyHandler
    private let timeout: TimeAmount

    init(host: String, port: Int, timeout: TimeAmount, group: any EventLoopGroup) throws {
        let replies = SMTPReplyHandler(timeout: timeout)
        self.replies = replies
        self.timeout = timeout
        channel = try ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture(withResultOf: {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                    try channel.pipeline.syncOperations.addHandler(replies)
                })
            }
            .connect(host: host, port: port).wait()
    }

    /// The next complete reply (multi-line replies assembled).
    func nextReply() throws -> SMTPReply {
        let replies = self.replies
        let eventLoop = channel.eventLoop
        return try eventLoop.flatSubmit { replies.nextReply(on: eventLoop) }.wait()
    }

    /// Writes bytes as they are and waits until they are on the socket. A
    /// write to a connection that failed reports why it failed (a refused
    /// certificate, say), not only that it is closed.
    func write(_ bytes: [UInt8]) throws {
        do {
            try channel.writeAndFlush(ByteBuffer(bytes: bytes)).wait()
        } catch {
            let replies = self.replies
            throw (try? channel.eventLoop.submit { replies.failure }.wait()).flatMap { $0 } ?? error
        }
    }

    /// Puts TLS under everything else in the pipeline (after the server's
    /// 220 to STARTTLS). Writes wait for the handshake; a failed handshake
    /// fails the next ``nextReply()``.
    func startTLS(context: NIOSSLContext, serverHostname: String?) throws {
        let channel = self.channel
        try channel.eventLoop.submit {
            let handler = try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
            try channel.pipeline.syncOperations.addHandler(handler, position: .first)
        }.wait()
    }

    func close() {
        try? channel.close().wait()
    }
}

/// Splits the server's bytes into lines (CRLF or LF), at most 4,096 bytes
/// each (RFC 5321 allows 512 for a reply line).
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    static let maxLineBytes = 4_096

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let offset = buffer.withUnsafeReadableBytes({ $0.firstIndex(of: UInt8(ascii: "\n")) }) else {
            if buffer.readableBytes > Self.maxLineBytes {
                throw SMTPConnectionError(description: "a reply line longer than \(Self.maxLineBytes) bytes")
            }
            return .needMoreData
        }
        var line = buffer.readSlice(length: offset)!
        buffer.moveReaderIndex(forwardBy: 1)
        if line.readableBytes > 0, line.getInteger(at: line.writerIndex - 1, as: UInt8.self) == UInt8(ascii: "\r") {
            line.moveWriterIndex(to: line.writerIndex - 1)
        }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Assembles replies and hands them out one at a time, failing a waiting
/// caller on a timeout, an error or the end of the connection.
// @unchecked Sendable: every member is touched only on the channel's event
// loop (the pipeline's callbacks, and `nextReply` through `flatSubmit`).
final class SMTPReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private let timeout: TimeAmount
    private var parser = SMTPReplyParser()
    private var ready: [SMTPReply] = []
    private var waiting: EventLoopPromise<SMTPReply>?
    private var timer: Scheduled<Void>?
    /// The first error of the connection, if any (read on the event loop).
    private(set) var failure: (any Error)?
    private var context: ChannelHandlerContext?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var line = unwrapInboundIn(data)
        let text = line.readString(length: line.readableBytes) ?? ""
        do {
            guard let reply = try parser.feed(text) else { return }
            if let waiting {
                self.waiting = nil
                timer?.cancel()
                waiting.succeed(reply)
            } else {
                ready.append(reply)
            }
        } catch {
            fail(error)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(SMTPConnectionError(description: "the server closed the connection"))
        context.fireChannelInactive()
    }

    /// Called on `eventLoop`, the channel's.
    func nextReply(on eventLoop: any EventLoop) -> EventLoopFuture<SMTPReply> {
        if !ready.isEmpty { return eventLoop.makeSucceededFuture(ready.removeFirst()) }
        if let failure { return eventLoop.makeFailedFuture(failure) }
        let promise = eventLoop.makePromise(of: SMTPReply.self)
        waiting = promise
        let timeout = self.timeout
        timer = eventLoop.scheduleTask(in: timeout) {
            self.fail(SMTPConnectionError(description: "no reply within \(timeout.nanoseconds / 1_000_000) ms"))
        }
        return promise.futureResult
    }

    /// The first failure wins; the connection is closed.
    private func fail(_ error: any Error) {
        if failure == nil { failure = error }
        timer?.cancel()
        if let waiting {
            self.waiting = nil
            waiting.fail(failure ?? error)
        }
        context?.close(promise: nil)
    }
}
