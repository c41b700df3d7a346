import ArgumentParser
import Foundation
import Logging
import TallyAdapterServices
import TallyAdapters
import TallyCore
import TallyRuntime
import TallyWorker

/// `tally mail …`: delivery of what tally publishes to people.
struct Mail: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Deliver published reports to people.", subcommands: [MailReports.self])
}

/// `tally mail reports`: the report mailer. Options only; the mailer is
/// `ReportMailer`.
struct MailReports: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reports",
        abstract: "Mail each account report from the reports exchange to the account's address (or write it as a file).",
        discussion: """
            Consumes <reports exchange>.mail (bound with account.#) and sends each report as a \
            multipart/alternative email (the report's HTML page and a text part) over SMTP to the address \
            the account has in --recipients (CSV account,email); with --out-dir, writes each page as \
            <account>-<digest>.html instead. Each report message id is sent once: claimed in Redis \
            before sending, marked committing before the final dot, sent after the server's 250. If the \
            mailer dies between the final dot and recording the answer, the message is kept, not sent \
            again (at most once) unless --resend-uncertain (at least once). Reports not sent — no \
            address, refused (5xx), outcome unknown, not a report — go to <queue>.kept with \
            x-tally-reason. The SMTP password comes from TALLY_SMTP_PASSWORD or --smtp-password-file, \
            never from the command line. SIGINT/SIGTERM stop between messages.
            """)

    @OptionGroup var connection: ConnectionOptions

    @Option(help: "CSV file account,email: each account's address (required for SMTP).")
    var recipients: String?

    @Option(help: "Write each report as an HTML file in this directory instead of mailing it.")
    var outDir: String?

    @Option(help: "The sender's address (From and MAIL FROM; required for SMTP).")
    var from: String?

    @Option(help: "SMTP server host.")
    var smtpHost = "127.0.0.1"

    @Option(help: "SMTP server port (587: submission).")
    var smtpPort = 587

    @Option(help: "STARTTLS: required, if-offered or never. Credentials are never sent without TLS.")
    var smtpStarttls = "required"

    @Option(help: "PEM file of the CA(s) to trust for STARTTLS (default: the system's).")
    var smtpCaFile: String?

    @Option(help: "SMTP AUTH user (the password: TALLY_SMTP_PASSWORD or --smtp-password-file).")
    var smtpUser: String?

    @Option(help: "A file holding the SMTP AUTH password (its first line).")
    var smtpPasswordFile: String?

    @Option(help: "SMTP AUTH mechanism: PLAIN or LOGIN (default: PLAIN if offered, else LOGIN).")
    var smtpAuth: String?

    @Option(help: "The name given in EHLO (default: this host's name).")
    var smtpHelo: String?

    @Option(help: "Milliseconds to connect, and to wait for each reply.")
    var smtpTimeoutMs: Int64 = 30_000

    @Option(help: "The mailer's queue (default <reports exchange>.mail); kept messages go to <queue>.kept.")
    var queue: String?

    @Option(help: "How long a claim holds before another mailer may take the message over (more than a whole SMTP session).")
    var claimLeaseMs: Int64 = 300_000

    @Option(help: "Days to remember a sent report id (0: for ever).")
    var sentRetentionDays: Int64 = 0

    @Flag(help: "Send again a report whose acceptance is unknown (at least once) instead of keeping it (at most once).")
    var resendUncertain = false

    // Not --backoff-…: those are configuration keys (reconnecting to the broker and Redis).
    @Option(help: "After a failed attempt, first wait …")
    var retryInitialMs = 1_000

    @Option(help: "… doubling up to this (with jitter).")
    var retryMaxMs = 60_000

    @OptionGroup var service: ServiceOptions

    func validate() throws {
        if outDir != nil, recipients != nil || from != nil {
            throw ValidationError("--out-dir writes files: --recipients and --from are for mailing")
        }
        if outDir == nil, recipients == nil || from == nil {
            throw ValidationError("mailing needs --recipients and --from (or --out-dir to write files)")
        }
        guard SMTPStartTLSPolicy(rawValue: smtpStarttls) != nil else {
            throw ValidationError("--smtp-starttls must be one of \(SMTPStartTLSPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let smtpAuth, SMTPAuthMechanism(rawValue: smtpAuth.uppercased()) == nil {
            throw ValidationError("--smtp-auth must be PLAIN or LOGIN")
        }
        if smtpAuth != nil || smtpPasswordFile != nil, smtpUser == nil {
            throw ValidationError("--smtp-auth and --smtp-password-file need --smtp-user")
        }
    }

    func run() async throws {
        let stop = StopSignal()
        TerminationSignals.install(stop: stop)
        let logger = try service.logger(label: "tally.mail.reports")
        let worker = try await connection.load()
        var settings = ReportMailerConfiguration(connections: worker.adapterConnections, delivery: try delivery())
        if let queue {
            settings.queue = queue
            settings.keptQueue = queue + ".kept"
        }
        settings.claimLeaseMilliseconds = claimLeaseMs
        settings.sentRetentionMilliseconds = sentRetentionDays * 86_400_000
        settings.resendUncertain = resendUncertain
        settings.backoff = BackoffPolicy(initialMilliseconds: retryInitialMs, maximumMilliseconds: retryMaxMs)
        let mailer: ReportMailer
        do {
            mailer = try ReportMailer(configuration: settings, logger: logger, stop: stop)
        } catch {
            throw ValidationError(error.description)
        }
        // The mailer blocks (rabbitmq-c, hiredis, SMTP waits).
        nonisolated(unsafe) let confined = mailer
        let metrics = mailer.metrics
        try await BlockingCommandService.run(
            threadName: "tally-mail-reports", listen: service.listener, stop: stop,
            logger: logger, shutdownMessage: "graceful shutdown: finishing the message in hand",
            readiness: { (metrics.isReady, metrics.readinessJSON()) }, metrics: { metrics.render() }
        ) { confined.run() }
    }

    /// Files, or SMTP with the recipients file read and checked now: a bad
    /// row stops the mailer before it sends anything.
    private func delivery() throws -> ReportMailerConfiguration.Delivery {
        if let outDir { return .files(directory: outDir) }
        guard let recipients, let from else { throw ValidationError("mailing needs --recipients and --from") }
        let sender: MailAddress
        do {
            sender = try MailAddress(from)
        } catch {
            throw ValidationError("--from: \(error)")
        }
        let text: String
        do {
            text = try String(contentsOfFile: recipients, encoding: .utf8)
        } catch {
            throw ValidationError("--recipients \(recipients): cannot read it: \(error.localizedDescription)")
        }
        let addresses: ReportRecipients
        do {
            addresses = try ReportRecipients.parse(text)
        } catch {
            throw ValidationError("--recipients \(recipients): \(error)")
        }
        var credentials: SMTPCredentials?
        if let smtpUser {
            credentials = SMTPCredentials(
                user: smtpUser, password: try password(), mechanism: smtpAuth.flatMap { SMTPAuthMechanism(rawValue: $0.uppercased()) })
        }
        let smtp = SMTPSettings(
            host: smtpHost, port: smtpPort, startTLS: SMTPStartTLSPolicy(rawValue: smtpStarttls) ?? .required,
            credentials: credentials, caFile: smtpCaFile, heloName: smtpHelo ?? ProcessInfo.processInfo.hostName,
            timeoutMilliseconds: smtpTimeoutMs)
        return .smtp(smtp, from: sender, recipients: addresses)
    }

    private func password() throws -> String {
        if let smtpPasswordFile {
            guard let text = try? String(contentsOfFile: smtpPasswordFile, encoding: .utf8) else {
                throw ValidationError("--smtp-password-file \(smtpPasswordFile): cannot read it")
            }
            return String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        }
        guard let password = ProcessInfo.processInfo.environment["TALLY_SMTP_PASSWORD"] else {
            throw ValidationError("--smtp-user needs a password: TALLY_SMTP_PASSWORD or --smtp-password-file")
        }
        return password
    }
}
