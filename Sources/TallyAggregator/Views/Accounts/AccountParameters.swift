import Foundation
import TallyAdapters

/// The parameters of the account routes, checked before any query: the
/// account in the path and the paging of `GET /v1/accounts`. Pure, so every
/// bad case is a unit test; the rules match `openapi/aggregator.yaml`.
public enum AccountParameters {
    /// The longest account, in code points: its destinationId
    /// (`account:<account>`) must fit the 256 a record's ids may have.
    public static let maxAccountLength =
        AggregationQueryParser.maxFilterLength - AdapterNamespace.transactions.destinationPrefix.count
    public static let defaultLimit = 100
    public static let maxLimit = 1_000

    /// The account from its percent-encoded path segment.
    public static func account(pathSegment raw: String) throws(InvalidParameter) -> String {
        guard let account = raw.removingPercentEncoding else {
            throw InvalidParameter("account", "not a valid percent-encoded account")
        }
        return try checked(account, "account")
    }

    /// Paging of the account list: `limit` (1–1000, default 100) and `after`
    /// (the previous page's `nextAfter`); other parameters are ignored, a
    /// parameter given twice is refused.
    public static func list(_ parameters: [(name: String, value: String)]) throws(InvalidParameter) -> (after: String?, limit: Int) {
        var values: [String: String] = [:]
        for (name, value) in parameters where name == "limit" || name == "after" {
            guard values[name] == nil else { throw InvalidParameter(name, "given more than once") }
            values[name] = value
        }
        var limit = defaultLimit
        if let text = values["limit"] {
            guard let number = Int(text), text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw InvalidParameter("limit", "must be an integer from 1 to \(maxLimit)")
            }
            guard (1...maxLimit).contains(number) else { throw InvalidParameter("limit", "\(number) is out of range 1...\(maxLimit)") }
            limit = number
        }
        let after = try values["after"].map { (text) throws(InvalidParameter) in try checked(text, "after") }
        return (after, limit)
    }

    private static func checked(_ account: String, _ name: String) throws(InvalidParameter) -> String {
        guard !account.isEmpty else { throw InvalidParameter(name, "must not be empty") }
        guard account.unicodeScalars.count <= maxAccountLength else {
            throw InvalidParameter(name, "longer than \(maxAccountLength) characters")
        }
        return account
    }
}
