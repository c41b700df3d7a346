/// Why a recipients file was refused: the line and what is wrong with it.
public struct ReportRecipientsError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based; 1 is the header.
    public let line: Int
    public let reason: String

    public var description: String { "recipients file, line \(line): \(reason)" }
}

/// Who receives each account's report: a CSV file `account,email` (header
/// required, columns in any order and case, blanks and quotes trimmed as in
/// every CSV tally reads; empty lines skipped).
///
/// The whole file is refused on the first bad line — a malformed row, an
/// invalid address, an account listed twice — rather than mailing some
/// reports and silently not others: a half-read address book is worse than
/// none, and the error names the line.
public struct ReportRecipients: Sendable, Equatable {
    public let addresses: [String: MailAddress]

    public init(addresses: [String: MailAddress]) {
        self.addresses = addresses
    }

    public subscript(account: String) -> MailAddress? { addresses[account] }

    public static func parse(_ text: String) throws(ReportRecipientsError) -> ReportRecipients {
        var addresses: [String: MailAddress] = [:]
        var header: CSVHeader?
        var lineNumber = 0
        // CRLF is one Character in Swift, so both line ends are named.
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) { continue }
            let fields: [String]
            do {
                fields = try CSVFieldSplitter.split(line)
            } catch {
                throw ReportRecipientsError(line: lineNumber, reason: error.reason)
            }
            guard let columns = header else {
                do {
                    header = try CSVHeader(fields, required: ["account", "email"])
                } catch {
                    throw ReportRecipientsError(line: lineNumber, reason: error.reason)
                }
                continue
            }
            let account: String
            let address: MailAddress
            do {
                let row = try columns.row(fields)
                account = try row.required("account")
                address = try MailAddress(try row.required("email"))
            } catch let error as RowRejection {
                throw ReportRecipientsError(line: lineNumber, reason: error.reason)
            } catch let error as MailAddressError {
                throw ReportRecipientsError(line: lineNumber, reason: error.description)
            } catch {
                throw ReportRecipientsError(line: lineNumber, reason: "\(error)")
            }
            guard addresses[account] == nil else {
                throw ReportRecipientsError(line: lineNumber, reason: "account \(account) is listed twice")
            }
            addresses[account] = address
        }
        guard header != nil else { throw ReportRecipientsError(line: 1, reason: "empty file: the header account,email is missing") }
        return ReportRecipients(addresses: addresses)
    }
}
