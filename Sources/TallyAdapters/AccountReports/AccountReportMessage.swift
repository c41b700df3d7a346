import TallyCore

/// Why a report cannot be sent as a message.
public struct AccountReportMessageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let account: String
    public let reason: String

    public var description: String { "account \(account): \(reason)" }
}

/// The report as one message on the `reports` exchange (docs/contract.md,
/// "Account report"), e.g. for a mailer that sends it to the account holder.
///
/// - routing key `account.<account>`: a consumer binds `account.#` for every
///   account or `account.42` for one;
/// - body (JSON): `{"type":"account-report","account":"42",
///   "report":{…the JSON report…},"html":"<!DOCTYPE html>…"}` — the HTML page
///   travels in the same message as the figures, so the two never disagree
///   and a mailer needs nothing else;
/// - message id `account-report:<16 hex digits>`, a digest of the report's
///   JSON: sending an unchanged report again repeats the id, so a consumer
///   that dedupes on message id does not mail the same report twice.
public struct AccountReportMessage: Sendable, Equatable {
    public static let routingKeyPrefix = "account."
    public static let messageType = "account-report"
    /// AMQP's limit on a routing key (a short string).
    static let maxRoutingKeyBytes = 255

    public let routingKey: String
    public let messageId: String
    public let body: [UInt8]

    public init(report: AccountReport) throws(AccountReportMessageError) {
        let routingKey = Self.routingKeyPrefix + report.account
        guard routingKey.utf8.count <= Self.maxRoutingKeyBytes else {
            throw AccountReportMessageError(
                account: report.account,
                reason: "the routing key \(Self.routingKeyPrefix)<account> would be longer than \(Self.maxRoutingKeyBytes) bytes")
        }
        let json = report.json
        var body = "{\"type\":\"\(Self.messageType)\",\"account\":"
        JSONWriter.appendQuoted(report.account, to: &body)
        body += ",\"report\":" + json + ",\"html\":"
        JSONWriter.appendQuoted(AccountReportPage.render(report), to: &body)
        body += "}"
        self.routingKey = routingKey
        self.messageId = "\(Self.messageType):\(Self.digest(json))"
        self.body = Array(body.utf8)
    }

    /// Stable across processes and versions, which a message id must be.
    static func digest(_ text: String) -> String { FNV1a.hex64(text) }
}
