import TallyAdapters
import TallyCore

/// A failure of the mailer's own IO (broker, Redis, a file), or a
/// configuration it refuses; the message says which.
public struct ReportMailerError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Everything `tally mail reports` decides, with its defaults.
public struct ReportMailerConfiguration: Sendable {
    /// Where each report goes.
    public enum Delivery: Sendable {
        /// By email, to the account's address in `recipients`.
        case smtp(SMTPSettings, from: MailAddress, recipients: ReportRecipients)
        /// As `<account>-<digest>.html` in a directory (no addresses needed).
        case files(directory: String)
    }

    public var connections: AdapterConnections
    public var delivery: Delivery
    /// The mailer's queue, bound to the reports exchange with `account.#`;
    /// default `<reports exchange>.mail`.
    public var queue: String
    /// Where messages that were not sent are kept, with the reason in
    /// `x-tally-reason` (no-recipient, mail-refused, mail-outcome-unknown,
    /// invalid-report-message); default `<queue>.kept`.
    public var keptQueue: String
    /// How long a claim (`sending`) holds before another mailer may take
    /// the message over; longer than a whole SMTP session can take.
    public var claimLeaseMilliseconds: Int64 = 300_000
    /// How long `sent` is remembered (0: for ever). A report published
    /// again after this is mailed again.
    public var sentRetentionMilliseconds: Int64 = 0
    /// At least once instead of at most once in the one uncertain window
    /// (see ``MailDeliveryState``).
    public var resendUncertain = false
    /// Waits between retries after SMTP, broker or Redis failures.
    public var backoff = BackoffPolicy(initialMilliseconds: 1_000, maximumMilliseconds: 60_000)

    public init(connections: AdapterConnections, delivery: Delivery) {
        self.connections = connections
        self.delivery = delivery
        queue = connections.topology.reportsExchange + ".mail"
        keptQueue = queue + ".kept"
    }

    public func validate() throws(ReportMailerError) {
        guard claimLeaseMilliseconds >= 1_000 else { throw ReportMailerError("--claim-lease-ms must be at least 1000") }
        guard sentRetentionMilliseconds >= 0 else { throw ReportMailerError("--sent-retention-days must not be negative") }
        if case .smtp(let settings, _, _) = delivery {
            guard (1...65_535).contains(settings.port) else { throw ReportMailerError("--smtp-port must be 1…65535") }
            guard settings.timeoutMilliseconds > 0 else { throw ReportMailerError("--smtp-timeout-ms must be positive") }
            if settings.credentials != nil, settings.startTLS == .never {
                throw ReportMailerError("--smtp-user needs TLS: credentials are never sent with --smtp-starttls never")
            }
            guard claimLeaseMilliseconds > 8 * settings.timeoutMilliseconds else {
                throw ReportMailerError("--claim-lease-ms must exceed a whole SMTP session: more than 8 × --smtp-timeout-ms")
            }
        }
    }
}
