import TallyCore

/// An email of one text part and one HTML part of the same content
/// (`multipart/alternative`, RFC 2046 §5.1.4: the reader's client shows
/// the richest it can), rendered to the exact bytes SMTP `DATA` carries
/// before dot-stuffing.
///
/// Every line ends in CRLF; both parts are UTF-8 in base64 lines of 76
/// characters, so no body line can be over-long, start with a dot or a
/// `From `, or contain the boundary (which has a `-`, outside base64's
/// alphabet). Header values come from ``MailAddress`` (already safe) or
/// through ``MIMEHeaderText`` (encoded when not plain ASCII).
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    /// The `Date:` header's text (``MailDate``).
    public var date: String
    /// Without angle brackets, e.g. `account-report.0123abcd@example.com`.
    public var messageId: String
    public var text: String
    public var html: String
    /// Extra `X-…` headers: names and values of printable ASCII.
    public var extraHeaders: [(name: String, value: String)]

    public init(
        from: MailAddress, to: MailAddress, subject: String, date: String, messageId: String, text: String, html: String,
        extraHeaders: [(name: String, value: String)] = []
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.date = date
        self.messageId = messageId
        self.text = text
        self.html = html
        self.extraHeaders = extraHeaders
    }

    public static func == (lhs: MailMessage, rhs: MailMessage) -> Bool {
        lhs.rendered() == rhs.rendered()
    }

    /// The boundary between the parts: fixed per message (derived from its
    /// id), so the same message renders to the same bytes.
    public var boundary: String { "=_tally-alt-" + FNV1a.hex64(messageId) }

    public func rendered() -> [UInt8] {
        var out = ""
        func header(_ name: String, _ value: String) { out += name + ": " + value + "\r\n" }
        header("From", from.text)
        header("To", to.text)
        header("Subject", MIMEHeaderText.encode(subject))
        header("Date", date)
        header("Message-ID", "<" + String(decoding: messageId.utf8.filter { (0x21...0x7E).contains($0) && $0 != 0x3C && $0 != 0x3E }, as: UTF8.self) + ">")
        header("MIME-Version", "1.0")
        for extra in extraHeaders { header(Self.printable(extra.name), Self.printable(extra.value)) }
        header("Content-Type", "multipart/alternative; boundary=\"\(boundary)\"")
        out += "\r\n"
        out += "This is a multi-part message in MIME format.\r\n"
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            out += "--" + boundary + "\r\n"
            out += "Content-Type: \(type); charset=utf-8\r\n"
            out += "Content-Transfer-Encoding: base64\r\n\r\n"
            out += MIMEBase64.encodeLines(Array(body.utf8))
        }
        out += "--" + boundary + "--\r\n"
        return Array(out.utf8)
    }

    /// Keeps only printable ASCII: a value that reaches a header unencoded
    /// can never break the line.
    static func printable(_ text: String) -> String {
        String(decoding: text.utf8.filter { (0x21...0x7E).contains($0) || $0 == 0x20 }, as: UTF8.self)
    }
}
