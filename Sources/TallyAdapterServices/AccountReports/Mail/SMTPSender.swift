import NIOCore
import NIOPosix
import NIOSSL
import TallyAdapters

/// Where and how to send mail.
public struct SMTPSettings: Sendable {
    public var host: String
    public var port: Int
    public var startTLS: SMTPStartTLSPolicy
    public var credentials: SMTPCredentials?
    /// PEM file of the CA(s) to trust for STARTTLS instead of the system's.
    public var caFile: String?
    /// The name given in EHLO.
    public var heloName: String
    /// For connecting and for each reply.
    public var timeoutMilliseconds: Int64

    public init(
        host: String, port: Int, startTLS: SMTPStartTLSPolicy = .required, credentials: SMTPCredentials? = nil,
        caFile: String? = nil, heloName: String = "localhost", timeoutMilliseconds: Int64 = 30_000
    ) {
        self.host = host
        self.port = port
        self.startTLS = startTLS
        self.credentials = credentials
        self.caFile = caFile
        self.heloName = heloName
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}

/// Sends one message per SMTP session, driving ``SMTPClientStateMachine``
/// over an ``SMTPConnection``. Between the message's content and its final
/// `.` it calls `commit`, so the caller records "committing" exactly where
/// the server's acceptance becomes possible (``MailDeliveryState``).
final class SMTPSender {
    enum Outcome: Equatable {
        /// 250 to the final `.`.
        case delivered
        /// Not taken, for certain: the session ended before the final `.`,
        /// or the server answered it with a refusal.
        case notDelivered(SMTPFailure)
        /// The final `.` was sent and no answer came: the server may have
        /// taken the message.
        case uncertain(String)
        /// `commit` said no (the claim was lost): the connection was closed
        /// before the final `.`, so nothing was taken.
        case abandoned
    }

    private let settings: SMTPSettings
    private let tlsContext: NIOSSLContext?
    private let group: any EventLoopGroup

    init(settings: SMTPSettings, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.settings = settings
        self.group = group
        if settings.startTLS == .never {
            tlsContext = nil
        } else {
            var configuration = TLSConfiguration.makeClientConfiguration()
            if let caFile = settings.caFile {
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile))
            }
            tlsContext = try NIOSSLContext(configuration: configuration)
        }
    }

    func send(from: MailAddress, to: MailAddress, message: [UInt8], commit: () throws -> Bool) -> Outcome {
        var machine = SMTPClientStateMachine(
            configuration: .init(heloName: settings.heloName, startTLS: settings.startTLS, credentials: settings.credentials),
            from: from, recipients: [to])
        let timeout = TimeAmount.milliseconds(settings.timeoutMilliseconds)
        let connection: SMTPConnection
        do {
            connection = try SMTPConnection(host: settings.host, port: settings.port, timeout: timeout, group: group)
        } catch {
            return .notDelivered(SMTPFailure(.transient, stage: "connect", "\(settings.host):\(settings.port): \(error)"))
        }
        defer { connection.close() }
        var committed = false
        do {
            var action = machine.replyReceived(try connection.nextReply())
            while true {
                switch action {
                case .send(let line):
                    try connection.write(Array((line + "\r\n").utf8))
                    action = machine.replyReceived(try connection.nextReply())
                case .startTLS:
                    guard let tlsContext else { return .notDelivered(SMTPFailure(.misconfigured, stage: "STARTTLS", "no TLS context")) }
                    try connection.startTLS(context: tlsContext, serverHostname: Self.isIPAddress(settings.host) ? nil : settings.host)
                    action = machine.tlsEstablished()
                case .sendMessage:
                    try connection.write(SMTPData.stuffed(message))
                    guard try commit() else { return .abandoned }
                    committed = true
                    try connection.write(SMTPData.terminator)
                    action = machine.replyReceived(try connection.nextReply())
                case .delivered:
                    try? connection.write(Array("QUIT\r\n".utf8))
                    _ = try? connection.nextReply()
                    return .delivered
                case .fail(let failure):
                    try? connection.write(Array("QUIT\r\n".utf8))
                    return .notDelivered(failure)
                }
            }
        } catch {
            if committed { return .uncertain("\(error)") }
            return .notDelivered(SMTPFailure(.transient, stage: "session", "\(error)"))
        }
    }

    private static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }
}
