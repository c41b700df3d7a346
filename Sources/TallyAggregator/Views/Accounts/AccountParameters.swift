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
        return try QueryParameters.identifier(account, "account", maxLength: maxAccountLength)
    }

    /// Paging of the account list: `limit` (1–1000, default 100) and
    /// `cursor` (the previous page's `nextCursor`, whose position is the last
    /// account shown); another parameter, one given twice, or a cursor of
    /// another route is refused.
    public static func list(_ parameters: [(name: String, value: String)]) throws(InvalidParameter) -> (after: String?, limit: Int) {
        let values = try QueryParameters(parameters, known: ["limit", "cursor"])
        let limit = try values.limit(default: defaultLimit, max: maxLimit)
        let after = try cursor.parameter(values["cursor"], arity: 1) { $0[0].text }
        return (after, limit)
    }

    /// The account list's cursor (nothing but the order to bind to).
    static let cursor = PageCursor(route: "accounts")
}
