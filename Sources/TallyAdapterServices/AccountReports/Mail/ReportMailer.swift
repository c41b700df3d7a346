import Foundation
import Logging
import TallyAMQPClient
import TallyAdapters
import TallyBroker
import TallyCore
import TallyRuntime

/// `tally mail reports`: consumes the `reports` exchange (through its own
/// queue, `<reports>.mail`, bound with `account.#`) and delivers each
/// account report — by email to the account's address, or as an HTML file.
/// A long-running, blocking loop: run it on a thread of its own.
///
/// **Once per report message id.** Before sending, the message id is
/// claimed in Redis (``MailDeliveryStore``, states in
/// ``MailDeliveryState``); "committing" is recorded after the message's
/// content and before its final `.`; "sent" after the server's 250; only
/// then is the delivery acknowledged. A crash anywhere but between the
/// final `.` and "sent" resends nothing twice and loses nothing (a claim of
/// a dead mailer is taken over when its lease ends; a message is
/// redelivered until acknowledged). In that one window the outcome is
/// unknown: by default the message is kept (at most once), with
/// `resendUncertain` it is sent again (at least once).
///
/// **Nothing vanishes.** A message that is not sent — its account has no
/// address, the server refused it for good (5xx), its outcome is unknown,
/// it is not an account report — is published to the kept queue with
/// `x-tally-reason` and `x-tally-detail`, counted and logged. Transient
/// failures (4xx, connection, broker, Redis) keep the delivery in hand and
/// retry it with backoff.
public final class ReportMailer {
    private let configuration: ReportMailerConfiguration
    private let logger: Logger
    private let stop: StopSignal
    private let store: MailDeliveryStore
    private let sender: SMTPSender?
    private let schedule: RetrySchedule
    private var consumer: AMQPConnection?
    private var keeper: ConfirmedPublisher?
    /// Accounts seen without an address, for the summary at stop.
    private var unaddressed: Set<String> = []

    public let metrics = ReportMailerMetrics()

    /// What to do with the delivery in hand.
    private enum Verdict {
        case acknowledge
        case retry(String)
        case stopping
    }

    public init(configuration: ReportMailerConfiguration, logger: Logger, stop: StopSignal) throws(ReportMailerError) {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.stop = stop
        store = MailDeliveryStore(endpoint: configuration.connections.redis, keyPrefix: configuration.connections.keyPrefix)
        if case .smtp(let settings, _, _) = configuration.delivery {
            do {
                sender = try SMTPSender(settings: settings)
            } catch {
                throw ReportMailerError("TLS for SMTP: \(error)")
            }
        } else {
            sender = nil
        }
        schedule = RetrySchedule(backoff: configuration.backoff)
    }

    /// Delivers until stopped.
    public func run() {
        logger.info("mailing reports from queue \(configuration.queue) (bound to \(configuration.connections.topology.reportsExchange) with account.#), \(describeDelivery()); kept: \(configuration.keptQueue)")
        var failures = 0
        var inHand: AMQPDelivery?
        while !stop.isRequested {
            do {
                let consumer = try connected()
                if inHand == nil { inHand = try consumer.nextDelivery(timeoutMilliseconds: 500) }
                guard let delivery = inHand else { continue }
                switch try handle(delivery) {
                case .acknowledge:
                    try consumer.ack(delivery.deliveryTag, multiple: false)
                    inHand = nil
                    failures = 0
                    metrics.succeeded()
                case .retry(let reason):
                    failures += 1
                    metrics.failed()
                    let delay = schedule.delayMilliseconds(afterFailures: failures, unitRandom: .random(in: 0..<1))
                    logger.warning("\(reason); retrying in \(delay) ms (failure \(failures) in a row)")
                    _ = pause(milliseconds: delay)
                case .stopping:
                    break
                }
            } catch {
                // The broker or Redis: reconnect; an unacknowledged delivery
                // returns to the queue with the old connection.
                failures += 1
                metrics.failed()
                inHand = nil
                disconnect()
                let delay = schedule.delayMilliseconds(afterFailures: failures, unitRandom: .random(in: 0..<1))
                logger.warning("\(error); reconnecting in \(delay) ms (failure \(failures) in a row)")
                _ = stop.sleep(milliseconds: Int(delay))
            }
        }
        disconnect()
        logger.info("stopped: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))\(unaddressed.isEmpty ? "" : "; accounts without an address: \(unaddressed.sorted().joined(separator: ", "))")")
    }

    /// Counts per outcome (sent, kept-no-recipient, …) for the summary at stop.
    private var outcomes: [String: Int] = [:]

    private func count(_ outcome: String) { outcomes[outcome, default: 0] += 1 }

    // MARK: One message

    private func handle(_ delivery: AMQPDelivery) throws -> Verdict {
        metrics.received.increment()
        let received: ReceivedAccountReport
        do {
            received = try ReceivedAccountReport(body: delivery.body, messageId: delivery.messageId)
        } catch {
            metrics.invalid.increment()
            count("kept-invalid")
            logger.warning("not an account report (kept): \(error)")
            try keep(delivery, reason: "invalid-report-message", detail: error.description, account: nil)
            return .acknowledge
        }
        switch configuration.delivery {
        case .files(let directory):
            try ReportFileWriter.write(received, to: directory)
            metrics.filesWritten.increment()
            count("files-written")
            logger.info("wrote the report of account \(received.account) (\(received.messageId)) to \(directory)")
            return .acknowledge
        case .smtp(_, let from, let recipients):
            guard let address = recipients[received.account] else {
                metrics.noRecipient.increment()
                count("kept-no-recipient")
                unaddressed.insert(received.account)
                logger.warning("no address for account \(received.account) in the recipients file: report \(received.messageId) kept in \(configuration.keptQueue) (no-recipient)")
                try keep(delivery, reason: "no-recipient", detail: "account \(received.account) has no address in the recipients file", account: received.account)
                return .acknowledge
            }
            return try mail(received, delivery: delivery, from: from, to: address)
        }
    }

    /// Claims the message id, sends, records; see the type's documentation.
    private func mail(_ received: ReceivedAccountReport, delivery: AMQPDelivery, from: MailAddress, to address: MailAddress) throws -> Verdict {
        let id = received.messageId
        while true {
            let stored = try store.stored(id)
            let state = stored.flatMap(MailDeliveryState.init(stored:))
            if stored != nil, state == nil {
                return try keepUncertain(delivery, received, "an unreadable delivery record \"\(stored!)\"")
            }
            switch MailDeliveryState.decide(state, resendUncertain: configuration.resendUncertain) {
            case .alreadySent:
                metrics.alreadySent.increment()
                count("already-sent")
                logger.info("report \(id) of account \(received.account) was already sent: not sending it again")
                return .acknowledge
            case .keepUncertain:
                return try keepUncertain(delivery, received, "a mailer stopped after sending the final dot and before recording the answer")
            case .waitForClaim:
                // Another mailer's claim, or a crashed one's until its lease ends.
                guard pause(milliseconds: 200) else { return .stopping }
                continue
            case .claimAndSend, .takeOverAndResend:
                let token = String(UInt64.random(in: 0...UInt64.max), radix: 16)
                let claim = MailDeliveryState.sending(token: token).stored
                guard try store.replace(id, expected: stored, with: claim, expiringAfterMilliseconds: configuration.claimLeaseMilliseconds) else {
                    continue  // someone else moved first: look again
                }
                return try send(received, delivery: delivery, from: from, to: address, token: token)
            }
        }
    }

    private func send(
        _ received: ReceivedAccountReport, delivery: AMQPDelivery, from: MailAddress, to address: MailAddress, token: String
    ) throws -> Verdict {
        guard let sender else { return .retry("no SMTP sender") }
        let id = received.messageId
        let sending = MailDeliveryState.sending(token: token).stored
        let committing = MailDeliveryState.committing(token: token).stored
        let message = AccountReportMail.message(received, from: from, to: address, epochSeconds: Int64(Date().timeIntervalSince1970))
        var commitError: (any Error)?
        let outcome = sender.send(from: from, to: address, message: message.rendered()) {
            do {
                return try store.replace(id, expected: sending, with: committing)
            } catch {
                commitError = error
                return false
            }
        }
        switch outcome {
        case .delivered:
            let sent = MailDeliveryState.sent(epochMilliseconds: Int64(Date().timeIntervalSince1970 * 1000), address: address.text).stored
            if try !store.replace(id, expected: committing, with: sent, expiringAfterMilliseconds: configuration.sentRetentionMilliseconds) {
                logger.warning("report \(id): the record changed while it was being sent (another mailer took it over)")
            }
            metrics.sent.increment()
            count("sent")
            logger.info("mailed report \(id) of account \(received.account) to \(address)")
            return .acknowledge
        case .notDelivered(let failure):
            _ = try store.replace(id, expected: try store.stored(id) == committing ? committing : sending, with: nil)
            guard failure.kind == .rejected else { return .retry("report \(id) of account \(received.account): \(failure)") }
            metrics.refused.increment()
            count("kept-refused")
            logger.warning("the SMTP server refused report \(id) of account \(received.account) for \(address) (kept): \(failure)")
            try keep(delivery, reason: "mail-refused", detail: failure.description, account: received.account)
            return .acknowledge
        case .abandoned:
            if let commitError { throw commitError }
            return .retry("report \(id): the claim ran out before the final dot (another mailer took it over); not sent")
        case .uncertain(let detail):
            if configuration.resendUncertain {
                return .retry("report \(id): no answer to the final dot (\(detail)); sending it again (--resend-uncertain)")
            }
            return try keepUncertain(delivery, received, "no answer to the final dot: \(detail)")
        }
    }

    private func keepUncertain(_ delivery: AMQPDelivery, _ received: ReceivedAccountReport, _ why: String) throws -> Verdict {
        metrics.uncertain.increment()
        count("kept-uncertain")
        logger.error("report \(received.messageId) of account \(received.account) may or may not have been delivered (\(why)): not sending it again; kept in \(configuration.keptQueue) (mail-outcome-unknown)")
        try keep(delivery, reason: "mail-outcome-unknown", detail: why, account: received.account)
        return .acknowledge
    }

    // MARK: Broker

    private func connected() throws -> AMQPConnection {
        if let consumer { return consumer }
        let topology = configuration.connections.topology
        let connection = try AMQPConnection(configuration.connections.broker)
        try connection.declareExchange(topology.reportsExchange, type: "topic")
        _ = try connection.declareQueue(configuration.queue, arguments: [("x-queue-type", .string("quorum"))])
        try connection.bindQueue(configuration.queue, exchange: topology.reportsExchange, routingKey: AccountReportMessage.routingKeyPrefix + "#")
        _ = try connection.declareQueue(configuration.keptQueue, arguments: [("x-queue-type", .string("quorum"))])
        try connection.setPrefetch(1)
        try connection.consume(configuration.queue)
        keeper = try ConfirmedPublisher(endpoint: configuration.connections.broker)
        // Redis too, before saying ready (a GET of a key nobody writes).
        _ = try store.stored("(connection check)")
        consumer = connection
        metrics.connectedToServers(true)
        logger.info("connected: consuming \(configuration.queue)")
        return connection
    }

    /// Waits (false when a stop was requested), keeping both broker
    /// connections' heartbeats going: rabbitmq-c sends them only inside its
    /// calls, and a delivery held through a long wait (a lease, a backoff)
    /// would otherwise lose its connection and come back redelivered.
    /// Safe while a delivery is in hand: with a prefetch of 1 no other
    /// delivery can arrive, and no confirm is outstanding.
    private func pause(milliseconds: Int64) -> Bool {
        var left = milliseconds
        while left > 0 {
            let slice = min(left, 1_000)
            guard stop.sleep(milliseconds: Int(slice)) else { return false }
            left -= slice
            try? consumer?.keepAlive()
            try? keeper?.connection.keepAlive()
        }
        return !stop.isRequested
    }

    private func disconnect() {
        consumer?.close()
        consumer = nil
        keeper = nil
        store.reset()
        metrics.connectedToServers(false)
    }

    /// Publishes the message, as it came, to the kept queue with the reason;
    /// waits for the confirm (the delivery is acknowledged only after it).
    private func keep(_ delivery: AMQPDelivery, reason: String, detail: String, account: String?) throws {
        guard let keeper else { throw ReportMailerError("not connected to the broker") }
        var headers: [(String, AMQPFieldValue)] = [
            (DeadLetterHeaders.reason, .string(reason)), (DeadLetterHeaders.detail, .string(detail)),
        ]
        if let account { headers.append(("x-tally-account", .string(account))) }
        _ = try keeper.publish(
            AMQPOutgoing(
                exchange: "", routingKey: configuration.keptQueue, messageId: delivery.messageId, contentType: "application/json",
                persistent: true, headers: headers),
            body: delivery.body)
        let refused = try keeper.flush(timeoutMilliseconds: configuration.connections.confirmTimeoutMilliseconds)
        guard refused.isEmpty else { throw ReportMailerError("the broker refused to keep a report message in \(configuration.keptQueue)") }
    }

    private func describeDelivery() -> String {
        switch configuration.delivery {
        case .files(let directory): "writing HTML files to \(directory)"
        case .smtp(let settings, let from, let recipients):
            "by SMTP via \(settings.host):\(settings.port) (STARTTLS \(settings.startTLS.rawValue)\(settings.credentials == nil ? "" : ", AUTH as \(settings.credentials!.user)")) from \(from), \(recipients.addresses.count) addresses"
        }
    }
}
