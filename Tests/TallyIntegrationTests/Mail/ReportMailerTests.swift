import Foundation
import Testing
import TallyAMQPClient
import TallyAdapters
import TallyCore
import TallyRedisClient

/// `tally mail reports` through the real fleet: records → a real worker →
/// a real aggregator → `tally report accounts` → the `reports` exchange →
/// real mailer processes → a real SMTP server (aiosmtpd) writing each
/// message to a file. Every message is checked against the exact oracle;
/// the mailer is SIGKILLed mid-run and restarted, and nothing is sent twice.
@Suite(.serialized, .timeLimit(.minutes(6)))
struct ReportMailerTests {
    static let sender = "reports@tally.example"
    static let unlisted = "no-address"

    /// A real `tally mail reports` process with this test's settings.
    final class MailerProcess {
        private let process = Process()
        let port: Int
        let logFile: URL

        init(_ environment: TestEnvironment, _ arguments: [String], name: String, variables: [String: String] = [:]) throws {
            port = try AggregatorProcess.freePort()
            logFile = environment.stateDirectory.appendingPathComponent("test-logs/\(environment.runId)-\(name).log")
            try FileManager.default.createDirectory(at: logFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            process.executableURL = environment.binaries.appendingPathComponent("tally")
            process.environment = environment.workerEnvironment.merging(variables) { $1 }
            process.arguments = ["mail", "reports", "--listen-port", "\(port)"] + arguments
            process.standardOutput = try FileHandle(forWritingTo: logFile)
            process.standardError = process.standardOutput
            try process.run()
            try waitUntil("the mailer to be ready", timeout: .seconds(60)) {
                (try? AggregatorProcess.get(port: port, "/ready").status) == 200 || !process.isRunning
            }
            guard process.isRunning else { throw TestFailure("the mailer exited: \(log)") }
        }

        var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }
        var isRunning: Bool { process.isRunning }

        func metric(_ name: String) throws -> Int? {
            try AggregatorProcess.get(port: port, "/metrics").text.split(separator: "\n")
                .first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) }
        }

        func crash() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        func stop() throws -> Int32 {
            kill(process.processIdentifier, SIGTERM)
            try waitUntil("the mailer to exit", timeout: .seconds(30)) { !process.isRunning }
            return process.terminationStatus
        }

        deinit { if process.isRunning { crash() } }
    }

    /// The transactions sample, a non-ASCII account name with large
    /// amounts (an RFC 2047 subject), 30 small accounts (enough for a kill
    /// to land mid-run) and one account without an address.
    static func ledger() -> TransactionLedger {
        var ledger = TransactionLedger()
        ledger.rows += TransactionLedger.sampleFile(account: "42")
        ledger.rows += TransactionLedger.random(account: AccountReportTests.unicode, count: 30, currencies: ["USD", "EUR"], maxCents: 250_000_000, seed: 12)
        for index in 0..<30 {
            ledger.rows += TransactionLedger.random(account: "acct-\(index)", count: 3, currencies: ["USD"], maxCents: 90_000, seed: UInt64(100 + index))
        }
        ledger.rows += TransactionLedger.random(account: unlisted, count: 2, currencies: ["USD"], maxCents: 1_000, seed: 99)
        return ledger
    }

    static func address(_ account: String) -> String { "holder-\(FNV1a.hex64(account))@example.com" }

    private func recipientsFile(_ accounts: [String]) throws -> URL {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recipients-\(UUID().uuidString).csv")
        let rows = accounts.map { "\($0),\(Self.address($0))" }
        try ("account,email\n" + rows.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    /// The mailer's queues, which TestEnvironment.cleanUp does not know.
    private func deleteMailQueues(_ environment: TestEnvironment) {
        guard let connection = try? AMQPConnection(environment.configuration.broker) else { return }
        let queue = "\(environment.configuration.topology.reportsExchange).mail"
        try? connection.deleteQueue(queue)
        try? connection.deleteQueue(queue + ".kept")
    }

    private func fleet(_ environment: TestEnvironment, _ ledger: TransactionLedger) throws -> (WorkerProcess, AggregatorProcess) {
        try environment.declareTopology()
        let worker = try WorkerProcess(environment)
        try worker.waitUntilConsuming()
        let aggregator = try AggregatorProcess(environment)
        try environment.publish(ledger.bodies)
        try aggregator.waitUntilCaughtUp(records: ledger.rows.count)
        return (worker, aggregator)
    }

    private func publishReports(_ environment: TestEnvironment, _ aggregator: AggregatorProcess) throws {
        let result = try CommandProcess.run(
            environment.binaries.appendingPathComponent("tally"), ["report", "accounts", "--aggregator", "http://127.0.0.1:\(aggregator.port)"],
            environment: environment.workerEnvironment, logName: "mail-report")
        #expect(result.status == 0, "\(result.error)")
    }

    /// The kept messages: reason and account of each.
    private func kept(_ environment: TestEnvironment) throws -> [(reason: String, account: String)] {
        let connection = try AMQPConnection(environment.configuration.broker)
        var found: [(String, String)] = []
        var tags: [UInt64] = []
        while let delivery = try connection.get("\(environment.configuration.topology.reportsExchange).mail.kept") {
            guard case .string(let reason)? = delivery.headers["x-tally-reason"] else { throw TestFailure("a kept message without reason") }
            guard case .string(let account)? = delivery.headers["x-tally-account"] else { throw TestFailure("a kept message without account") }
            found.append((reason, account))
            tags.append(delivery.deliveryTag)
        }
        for tag in tags { try connection.reject(tag, requeue: true) }
        return found
    }

    private func cents(_ shown: String?) throws -> Int {
        let digits = try #require(shown).filter { $0 != "," }
        #expect(try ExactDecimal.parse(digits).scale == 2)
        return Int(digits.filter { $0 != "." })!
    }

    @Test func everyReportMailedOnceWithTheExactFiguresThroughACrash() throws {
        let environment = TestEnvironment("mail-smtp")
        defer {
            environment.cleanUp()
            deleteMailQueues(environment)
        }
        let ledger = Self.ledger()
        let (_, aggregator) = try fleet(environment, ledger)
        let addressed = ledger.accounts.filter { $0 != Self.unlisted }
        let recipients = try recipientsFile(addressed)
        // Each message held 60 ms before the server's answer: the run lasts long enough to be killed in.
        let smtp = try SMTPSinkProcess(environment, arguments: ["--delay-ms", "60"])
        let arguments = [
            "--recipients", recipients.path, "--from", Self.sender, "--smtp-port", "\(smtp.port)", "--smtp-starttls", "never",
            "--smtp-timeout-ms", "1000", "--claim-lease-ms", "9000", "--retry-initial-ms", "100", "--retry-max-ms", "500",
        ]
        let first = try MailerProcess(environment, arguments, name: "mailer-1")
        try publishReports(environment, aggregator)

        try waitUntil("some reports mailed", timeout: .seconds(60)) { try smtp.messages().count >= 8 }
        first.crash()
        let sentBeforeCrash = try smtp.messages().count
        #expect(sentBeforeCrash < addressed.count, "the kill landed mid-run")
        let second = try MailerProcess(environment, arguments, name: "mailer-2")
        try waitUntil("every report mailed or kept", timeout: .seconds(120)) {
            let keptCount = try kept(environment).count
            return try smtp.messages().count + keptCount >= ledger.accounts.count
        }

        let mails = try smtp.messages()
        let keptMessages = try kept(environment)
        #expect(keptMessages.filter { $0.reason == "no-recipient" }.map(\.account) == [Self.unlisted])
        let uncertain = Set(keptMessages.filter { $0.reason == "mail-outcome-unknown" }.map(\.account))
        #expect(keptMessages.allSatisfy { $0.reason == "no-recipient" || $0.reason == "mail-outcome-unknown" }, "\(keptMessages)")
        let ids = mails.compactMap { $0.header("X-Tally-Report-Id") }
        #expect(ids.count == mails.count)
        #expect(Set(ids).count == ids.count, "a report id mailed twice: \(ids.sorted())")

        var mailed: Set<String> = []
        for mail in mails {
            let subject = mail.subject
            let account = try #require(addressed.first { subject == "Transactions report for account \($0)" }, "subject \(subject)")
            mailed.insert(account)
            #expect(mail.header("X-Envelope-To") == Self.address(account))
            #expect(mail.header("To") == Self.address(account))
            #expect(mail.header("X-Envelope-From") == Self.sender)
            #expect(mail.header("From") == Self.sender)
            let html = try #require(mail.parts["text/html"])
            let text = try #require(mail.parts["text/plain"])
            #expect(html == (try aggregator.get("/v1/accounts/\(AccountReportTests.encoded(account))/report.html").text))
            let page = RenderedReport(dom: html)
            for (currency, figures) in ledger.expected(account: account) {
                let section = try #require(page.section(currency: currency), "\(account) \(currency)")
                #expect(try cents(RenderedReport.field("balance", in: section)) == figures.balance, "\(account) \(currency)")
                #expect(try cents(RenderedReport.field("credits-total", in: section)) == figures.creditTotal)
                #expect(try cents(RenderedReport.field("debits-total", in: section)) == -figures.debitTotal)
                #expect(RenderedReport.field("credits-count", in: section) == "\(figures.creditCount)")
                #expect(RenderedReport.field("debits-count", in: section) == "\(figures.debitCount)")
                if let average = figures.creditAverage {
                    #expect(try cents(RenderedReport.field("credits-average", in: section)) == average)
                }
                #expect(RenderedReport.monthCounts(in: section) == figures.months.mapValues { "\($0)" })
                let balance = ReportFormatting.amount(try ExactDecimal.parse(TransactionLedger.cents(figures.balance)))
                #expect(text.contains("\n\(currency)\n  Balance:         \(balance)\n"), "\(account) text part: \(text)")
            }
        }
        #expect(mailed.union(uncertain) == Set(addressed), "every addressed account mailed once or kept as uncertain")
        #expect(mailed.count == mails.count)

        // A report published again is not mailed again (an uncertain one is kept again).
        try publishReports(environment, aggregator)
        try waitUntil("the republished reports acknowledged as already sent", timeout: .seconds(60)) {
            (try second.metric("tally_mailer_already_sent_total") ?? 0) >= mailed.subtracting(uncertain).count
        }
        #expect(try smtp.messages().count == mails.count)
        #expect(try second.stop() == 0, "\(second.log)")
    }

    /// Publishes reports as `tally report accounts` does.
    private func publish(_ reports: [AccountReport], _ environment: TestEnvironment) throws {
        let publisher = try environment.publisher()
        for report in reports {
            let message = try AccountReportMessage(report: report)
            _ = try publisher.publish(
                AMQPOutgoing(exchange: environment.configuration.topology.reportsExchange, routingKey: message.routingKey, messageId: message.messageId),
                body: message.body)
        }
        guard try publisher.flush().isEmpty else { throw TestFailure("the broker refused a report") }
    }

    private func report(_ account: String) throws -> AccountReport {
        var builder = AccountReportBuilder()
        builder.add(try ExactDecimal.parse("60.5"), type: .positive, currency: "USD", month: "2026-07")
        builder.add(try ExactDecimal.parse("20.46"), type: .negative, currency: "USD", month: "2026-08")
        return try #require(builder.report(account: account))
    }

    @Test func startTLSAndAuthAgainstARealServerAndARefusedRecipientKept() throws {
        let environment = TestEnvironment("mail-tls")
        defer {
            environment.cleanUp()
            deleteMailQueues(environment)
        }
        let tls = try TLSListener.required(environment)
        let refused = Self.address("refused")
        let smtp = try SMTPSinkProcess(
            environment,
            arguments: [
                "--tls-cert", tls.directory.appendingPathComponent("server.pem").path,
                "--tls-key", tls.directory.appendingPathComponent("server.key").path, "--require-tls",
                "--user", "tally", "--password", "s3cret", "--refuse", refused,
            ])
        let recipients = try recipientsFile(["42", "43", "refused"])
        func arguments(ca: String, auth: String) -> [String] {
            [
                "--recipients", recipients.path, "--from", Self.sender, "--smtp-host", "localhost", "--smtp-port", "\(smtp.port)",
                "--smtp-starttls", "required", "--smtp-ca-file", ca, "--smtp-user", "tally", "--smtp-auth", auth,
                "--smtp-timeout-ms", "5000", "--retry-initial-ms", "100", "--retry-max-ms", "300",
            ]
        }

        // A certificate the mailer does not trust: nothing is sent, the mailer says so and is not ready.
        let untrusting = try MailerProcess(
            environment, arguments(ca: tls.untrustedCAFile, auth: "PLAIN"), name: "mailer-untrusted", variables: ["TALLY_SMTP_PASSWORD": "s3cret"])
        try publish([try report("42")], environment)
        try waitUntil("the mailer to fail on the certificate") { (try untrusting.metric("tally_mailer_failures_total") ?? 0) >= 2 }
        #expect(try AggregatorProcess.get(port: untrusting.port, "/ready").status == 503)
        #expect(try smtp.messages().isEmpty)
        #expect(untrusting.log.contains("CERTIFICATE_VERIFY_FAILED"), "\(untrusting.log)")
        #expect(try untrusting.stop() == 0)

        // The right CA, AUTH LOGIN: the held report goes, over TLS; the refused recipient's is kept.
        let mailer = try MailerProcess(
            environment, arguments(ca: tls.caFile, auth: "LOGIN"), name: "mailer-tls", variables: ["TALLY_SMTP_PASSWORD": "s3cret"])
        try publish([try report("refused")], environment)
        try waitUntil("one report mailed, one kept") { try smtp.messages().count == 1 && kept(environment).count == 1 }
        let mail = try #require(try smtp.messages().first)
        #expect(mail.header("X-Envelope-To") == Self.address("42"))
        #expect(mail.subject == "Transactions report for account 42")
        #expect(mail.parts["text/html"] == AccountReportPage.render(try report("42")))
        #expect(try kept(environment).map(\.reason) == ["mail-refused"])
        #expect(try mailer.metric("tally_mailer_refused_total") == 1)
        #expect(try mailer.metric("tally_mailer_sent_total") == 1)
        #expect(try mailer.stop() == 0)

        // A wrong password is the configuration's fault: the report stays queued, nothing is kept.
        let wrong = try MailerProcess(
            environment, arguments(ca: tls.caFile, auth: "PLAIN"), name: "mailer-wrong", variables: ["TALLY_SMTP_PASSWORD": "wrong"])
        try publish([try report("43")], environment)
        try waitUntil("the mailer to fail on AUTH") { (try wrong.metric("tally_mailer_failures_total") ?? 0) >= 2 }
        #expect(try smtp.messages().count == 1)
        #expect(try kept(environment).count == 1)
        #expect(wrong.log.contains("SMTP AUTH: the server answered 535"), "\(wrong.log)")
        #expect(try wrong.stop() == 0)
    }

    /// The records a crashed mailer leaves, set by hand so each case is
    /// certain: a claim in `sending` is waited out and then sent once; a
    /// `committing` one is kept as uncertain (at most once), or sent again
    /// with --resend-uncertain (at least once).
    @Test func aCrashedMailersRecordsAreHonoured() throws {
        let environment = TestEnvironment("mail-records")
        defer {
            environment.cleanUp()
            deleteMailQueues(environment)
        }
        let smtp = try SMTPSinkProcess(environment)
        let recipients = try recipientsFile(["claimed", "committed"])
        let arguments = [
            "--recipients", recipients.path, "--from", Self.sender, "--smtp-port", "\(smtp.port)", "--smtp-starttls", "never",
            "--smtp-timeout-ms", "200", "--claim-lease-ms", "2000",
        ]
        let claimed = try AccountReportMessage(report: try report("claimed"))
        let committed = try AccountReportMessage(report: try report("committed"))
        let redis = try environment.redis()
        _ = try redis.command(RedisCommand("SET", environment.layout.mailDelivery(claimed.messageId), "sending dead1", "PX", "1500"))
        _ = try redis.command(RedisCommand("SET", environment.layout.mailDelivery(committed.messageId), "committing dead2"))

        let mailer = try MailerProcess(environment, arguments, name: "mailer-records")
        let published = ContinuousClock.now
        try publish([try report("claimed"), try report("committed")], environment)
        try waitUntil("the claimed report sent after its lease") { try smtp.messages().count == 1 && kept(environment).count == 1 }
        #expect(ContinuousClock.now - published >= .milliseconds(1_000), "sent only once the lease ran out")
        #expect(try smtp.messages().first?.header("X-Tally-Report-Id") == claimed.messageId)
        #expect(try kept(environment).map(\.reason) == ["mail-outcome-unknown"])
        #expect(try redis.command(RedisCommand("GET", environment.layout.mailDelivery(claimed.messageId))).text?.hasPrefix("sent ") == true)
        #expect(try mailer.stop() == 0)

        let resending = try MailerProcess(environment, arguments + ["--resend-uncertain"], name: "mailer-resend")
        try publish([try report("committed"), try report("claimed")], environment)
        try waitUntil("the uncertain report sent again, the sent one not") {
            try smtp.messages().count == 2 && (try resending.metric("tally_mailer_already_sent_total") ?? 0) == 1
        }
        #expect(try smtp.messages().last?.header("X-Tally-Report-Id") == committed.messageId)
        #expect(try resending.stop() == 0)
    }

    @Test func outDirWritesEachReportAsItsPage() throws {
        let environment = TestEnvironment("mail-files")
        defer {
            environment.cleanUp()
            deleteMailQueues(environment)
        }
        let ledger = AccountReportTests.ledger()
        let (_, aggregator) = try fleet(environment, ledger)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let mailer = try MailerProcess(environment, ["--out-dir", directory.path], name: "mailer-files")
        try publishReports(environment, aggregator)
        try waitUntil("a file per account") {
            ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".html") }.count >= ledger.accounts.count
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".html") }
        #expect(files.count == ledger.accounts.count)
        for account in ledger.accounts {
            let page = try aggregator.get("/v1/accounts/\(AccountReportTests.encoded(account))/report.html").text
            #expect(try files.contains { try String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8) == page }, "\(account)")
        }
        #expect(try mailer.metric("tally_mailer_files_written_total") == ledger.accounts.count)
        #expect(try mailer.stop() == 0)
    }

    @Test func aMalformedRecipientsFileStopsTheMailerNamingTheLine() throws {
        let environment = TestEnvironment("mail-bad")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("recipients-\(UUID().uuidString).csv")
        try "account,email\n42,holder@example.com\n43,not an address\n".write(to: file, atomically: true, encoding: .utf8)
        let result = try CommandProcess.run(
            environment.binaries.appendingPathComponent("tally"),
            ["mail", "reports", "--recipients", file.path, "--from", Self.sender, "--smtp-starttls", "never"],
            environment: environment.workerEnvironment, logName: "mail-bad")
        #expect(result.status != 0)
        #expect(result.error.contains("line 3"), "\(result.error)")
        #expect(result.error.contains("invalid email address"), "\(result.error)")
    }
}
