/// Whether to upgrade the connection with STARTTLS (RFC 3207).
public enum SMTPStartTLSPolicy: String, Sendable, CaseIterable {
    /// Refuse to send unless the server offers STARTTLS and the handshake succeeds.
    case required
    /// Upgrade when offered; plain otherwise (never with credentials, see ``SMTPClientStateMachine``).
    case ifOffered = "if-offered"
    /// Never upgrade (a local relay, a test server).
    case never
}

/// SMTP AUTH mechanisms tally speaks (RFC 4616 PLAIN, and LOGIN).
public enum SMTPAuthMechanism: String, Sendable, CaseIterable {
    case plain = "PLAIN"
    case login = "LOGIN"
}

/// A user name and password for SMTP AUTH, and the mechanism to use (nil:
/// PLAIN if the server offers it, else LOGIN).
public struct SMTPCredentials: Sendable, Equatable {
    public var user: String
    public var password: String
    public var mechanism: SMTPAuthMechanism?

    public init(user: String, password: String, mechanism: SMTPAuthMechanism? = nil) {
        self.user = user
        self.password = password
        self.mechanism = mechanism
    }
}

/// Why a message was not sent, and what that means for retrying it.
public struct SMTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// 4xx, a lost connection, a timeout: the same message may go later.
        case transient
        /// 5xx to MAIL, RCPT, DATA or the message: this message will not be
        /// taken as it is (a bad recipient, a policy); retrying repeats it.
        case rejected
        /// The session cannot be set up as configured (STARTTLS required but
        /// not offered, authentication refused): no message can go until an
        /// operator changes something, so no message is blamed for it.
        case misconfigured
    }

    public let kind: Kind
    /// The step, e.g. `RCPT TO`.
    public let stage: String
    public let detail: String

    public init(_ kind: Kind, stage: String, _ detail: String) {
        self.kind = kind
        self.stage = stage
        self.detail = detail
    }

    public var description: String { "SMTP \(stage): \(detail)" }
}

/// The client side of one SMTP session that sends one message, as a value:
/// the IO layer feeds it each reply (and the end of a TLS handshake) and
/// performs the ``Action`` it returns. No sockets, no clock, so every path —
/// STARTTLS, both AUTH mechanisms, every refusal — is tested without a server.
///
/// `greeting → EHLO → [STARTTLS → handshake → EHLO] → [AUTH] → MAIL FROM →
/// RCPT TO… → DATA → message → delivered`.
///
/// Credentials are never sent over a connection without TLS: with
/// `ifOffered` and a server that offers no STARTTLS, a session with
/// credentials fails as misconfigured rather than reveal the password.
public struct SMTPClientStateMachine: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The name this client gives in EHLO.
        public var heloName: String
        public var startTLS: SMTPStartTLSPolicy
        public var credentials: SMTPCredentials?

        public init(heloName: String, startTLS: SMTPStartTLSPolicy, credentials: SMTPCredentials? = nil) {
            self.heloName = heloName
            self.startTLS = startTLS
            self.credentials = credentials
        }
    }

    public enum Action: Sendable, Equatable {
        /// Write this command line, then wait for the next reply.
        case send(String)
        /// Start TLS on the connection, then call ``tlsEstablished()``.
        case startTLS
        /// Write the message (``SMTPData/stuffed(_:)``), then — once the
        /// caller has recorded that it is committing — the terminator, and
        /// wait for the reply.
        case sendMessage
        /// The server took the message: say QUIT and close.
        case delivered
        /// Close the connection; the message was not taken.
        case fail(SMTPFailure)
    }

    private enum State: Sendable, Equatable {
        case greeting, ehlo, startTLS, handshake, authPlain, authLoginUser, authLoginPassword
        case mailFrom, rcptTo(Int), data, message, delivered, failed
    }

    private let configuration: Configuration
    private let from: MailAddress
    private let recipients: [MailAddress]
    private var state = State.greeting
    private var tls = false
    /// What the last EHLO advertised, upper-cased keywords and their parameters.
    public private(set) var extensions: [String: [String]] = [:]

    public init(configuration: Configuration, from: MailAddress, recipients: [MailAddress]) {
        precondition(!recipients.isEmpty, "a message needs a recipient")
        self.configuration = configuration
        self.from = from
        self.recipients = recipients
    }

    /// True once the connection is under TLS.
    public var isEncrypted: Bool { tls }

    public mutating func replyReceived(_ reply: SMTPReply) -> Action {
        switch state {
        case .greeting:
            guard reply.code == 220 else { return fail(.transient, "greeting", reply) }
            return ehlo()
        case .ehlo:
            guard reply.code == 250 else { return fail(reply.isTransient ? .transient : .misconfigured, "EHLO", reply) }
            extensions = Self.extensions(of: reply)
            if !tls, configuration.startTLS != .never, extensions["STARTTLS"] != nil {
                state = .startTLS
                return .send("STARTTLS")
            }
            if !tls, configuration.startTLS == .required {
                return fail(.misconfigured, "STARTTLS", "required (--smtp-starttls required) but the server does not offer it")
            }
            return authenticateOrSend()
        case .startTLS:
            guard reply.code == 220 else { return fail(reply.isTransient ? .transient : .misconfigured, "STARTTLS", reply) }
            state = .handshake
            return .startTLS
        case .handshake:
            return fail(.transient, "STARTTLS", "a reply before the TLS handshake: \(reply.text)")
        case .authPlain, .authLoginPassword:
            guard reply.code == 235 else { return fail(reply.isTransient ? .transient : .misconfigured, "AUTH", reply) }
            return mailFrom()
        case .authLoginUser:
            guard reply.code == 334, let credentials = configuration.credentials else {
                return fail(reply.isTransient ? .transient : .misconfigured, "AUTH", reply)
            }
            state = .authLoginPassword
            return .send(MIMEBase64.encode(Array(credentials.password.utf8)))
        case .mailFrom:
            guard reply.code == 250 else { return fail(kind(reply), "MAIL FROM", reply) }
            return rcptTo(0)
        case .rcptTo(let index):
            guard reply.code == 250 || reply.code == 251 else { return fail(kind(reply), "RCPT TO", reply) }
            if index + 1 < recipients.count { return rcptTo(index + 1) }
            state = .data
            return .send("DATA")
        case .data:
            guard reply.code == 354 else { return fail(kind(reply), "DATA", reply) }
            state = .message
            return .sendMessage
        case .message:
            guard reply.code == 250 else { return fail(kind(reply), "message", reply) }
            state = .delivered
            return .delivered
        case .delivered, .failed:
            return fail(.transient, "session", "unexpected reply \(reply.text)")
        }
    }

    /// The TLS handshake finished: greet again (RFC 3207: the server forgets
    /// everything it was told before).
    public mutating func tlsEstablished() -> Action {
        guard state == .handshake else { return fail(.transient, "STARTTLS", "a handshake nobody asked for") }
        tls = true
        return ehlo()
    }

    private mutating func ehlo() -> Action {
        state = .ehlo
        return .send("EHLO " + configuration.heloName)
    }

    private mutating func authenticateOrSend() -> Action {
        guard let credentials = configuration.credentials else { return mailFrom() }
        guard tls else {
            return fail(.misconfigured, "AUTH", "refusing to send credentials over a connection without TLS (the server offered no STARTTLS)")
        }
        let offered = Set((extensions["AUTH"] ?? []).map { $0.uppercased() })
        let mechanism = credentials.mechanism ?? (offered.contains("PLAIN") ? .plain : .login)
        guard offered.contains(mechanism.rawValue) else {
            return fail(.misconfigured, "AUTH", "the server offers \(offered.isEmpty ? "no AUTH" : "AUTH " + offered.sorted().joined(separator: " ")), not \(mechanism.rawValue)")
        }
        switch mechanism {
        case .plain:
            state = .authPlain
            return .send("AUTH PLAIN " + MIMEBase64.encode(Array(("\u{0}" + credentials.user + "\u{0}" + credentials.password).utf8)))
        case .login:
            state = .authLoginUser
            // The initial response (RFC 4954) carries the user name.
            return .send("AUTH LOGIN " + MIMEBase64.encode(Array(credentials.user.utf8)))
        }
    }

    private mutating func mailFrom() -> Action {
        state = .mailFrom
        return .send("MAIL FROM:<\(from.text)>")
    }

    private mutating func rcptTo(_ index: Int) -> Action {
        state = .rcptTo(index)
        return .send("RCPT TO:<\(recipients[index].text)>")
    }

    private func kind(_ reply: SMTPReply) -> SMTPFailure.Kind { reply.isTransient ? .transient : .rejected }

    private mutating func fail(_ kind: SMTPFailure.Kind, _ stage: String, _ reply: SMTPReply) -> Action {
        fail(kind, stage, "the server answered \(reply.text)")
    }

    private mutating func fail(_ kind: SMTPFailure.Kind, _ stage: String, _ detail: String) -> Action {
        state = .failed
        return .fail(SMTPFailure(kind, stage: stage, detail))
    }

    /// `250-SIZE 1000` → `SIZE: [1000]`; `AUTH=LOGIN` (an old form) counts as AUTH.
    static func extensions(of reply: SMTPReply) -> [String: [String]] {
        var found: [String: [String]] = [:]
        for line in reply.lines.dropFirst() {
            var words = line.split(separator: " ").map(String.init)
            guard !words.isEmpty else { continue }
            var keyword = words.removeFirst().uppercased()
            if keyword.hasPrefix("AUTH=") {
                words.insert(String(keyword.dropFirst(5)), at: 0)
                keyword = "AUTH"
            }
            found[keyword, default: []] += words
        }
        return found
    }
}
