import TallyCore

/// A message taken from the `reports` exchange (``AccountReportMessage``'s
/// body), read back: the account, the figures and the page.
public struct ReceivedAccountReport: Sendable, Equatable {
    public let account: String
    public let report: AccountReport
    public let html: String
    /// The message id it was published with (``AccountReportMessage``), or,
    /// for a message without one, the id the same report would carry.
    public let messageId: String

    /// Reads a body; anything that is not an account report is an error naming the field.
    public init(body: [UInt8], messageId: String?) throws(AccountReportFormatError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw AccountReportFormatError(field: "(document)", reason: "not JSON: \(error)")
        }
        guard case .string(AccountReportMessage.messageType)? = value["type"] else {
            throw AccountReportFormatError(field: "type", reason: "expected \"\(AccountReportMessage.messageType)\"")
        }
        guard case .string(let account)? = value["account"] else {
            throw AccountReportFormatError(field: "account", reason: "expected a string")
        }
        guard case .string(let html)? = value["html"] else { throw AccountReportFormatError(field: "html", reason: "expected a string") }
        guard let reportValue = value["report"] else { throw AccountReportFormatError(field: "report", reason: "missing") }
        let report = try AccountReport(json: reportValue)
        guard report.account == account else {
            throw AccountReportFormatError(field: "report.account", reason: "\"\(report.account)\" differs from account \"\(account)\"")
        }
        self.account = account
        self.report = report
        self.html = html
        self.messageId = messageId ?? "\(AccountReportMessage.messageType):\(AccountReportMessage.digest(report.json))"
    }
}

/// The email of an account report: the message's own HTML page (the one
/// the aggregator serves) and the same figures as text
/// (``AccountReportText``).
///
/// The `Message-ID` header is derived from the report's message id, so if
/// the same report is ever sent twice (see the mailer's at-least-once
/// option) the copies carry one Message-ID, which mail systems use to
/// recognise duplicates. `X-Tally-Report-Id` carries the message id as it is.
public enum AccountReportMail {
    public static let reportIdHeader = "X-Tally-Report-Id"

    public static func subject(account: String) -> String { "Transactions report for account \(account)" }

    public static func message(
        _ received: ReceivedAccountReport, from: MailAddress, to: MailAddress, epochSeconds: Int64
    ) -> MailMessage {
        MailMessage(
            from: from, to: to, subject: subject(account: received.account), date: MailDate.format(epochSeconds: epochSeconds),
            messageId: "\(received.messageId.replacingColons).\(FNV1a.hex64(received.account))@\(from.domain)",
            text: AccountReportText.render(received.report), html: received.html,
            extraHeaders: [(reportIdHeader, received.messageId)])
    }
}

extension String {
    /// A message id's `:` is legal in a Message-ID's left part only quoted; a dot reads the same.
    fileprivate var replacingColons: String { String(map { $0 == ":" ? "." : $0 }) }
}
