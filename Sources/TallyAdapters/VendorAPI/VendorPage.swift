import TallyCore

/// One page of the vendor's `GET /transactions` answer:
/// `{"transactions": [ … ], "nextCursor": "…", "hasMore": true|false}`.
///
/// The page's shape must be right (else the whole answer is refused and
/// retried: nothing of it is published, the stored cursor does not move);
/// each transaction is kept as parsed JSON and judged one by one by
/// ``VendorTransactionMapping``, so one bad item never blocks its page.
public struct VendorPage: Sendable, Equatable {
    public let transactions: [JSONValue]
    /// Where the next request starts: after the last transaction of this page
    /// (the request's own cursor again when the page is empty).
    public let nextCursor: String
    /// True when more transactions were already waiting: fetch again as soon
    /// as the rate limit allows instead of idling.
    public let hasMore: Bool

    public init(transactions: [JSONValue], nextCursor: String, hasMore: Bool) {
        self.transactions = transactions
        self.nextCursor = nextCursor
        self.hasMore = hasMore
    }

    /// Parses a page; `maxTransactions` is what the request asked for: a
    /// vendor sending more is not believed.
    public static func parse(_ body: [UInt8], maxTransactions: Int) throws(VendorPageError) -> VendorPage {
        let json: JSONValue
        do {
            json = try JSONParser.parse(body, maxDepth: 8)
        } catch {
            throw VendorPageError("the body is not JSON: \(error)")
        }
        guard case .object = json else { throw VendorPageError("the body is a JSON \(json.typeName), not an object") }
        guard case .array(let transactions)? = json["transactions"] else {
            throw VendorPageError("\"transactions\" is missing or not an array")
        }
        guard transactions.count <= maxTransactions else {
            throw VendorPageError("\(transactions.count) transactions on a page of at most \(maxTransactions)")
        }
        guard case .string(let next)? = json["nextCursor"], !next.isEmpty, next.utf8.count <= 1_024 else {
            throw VendorPageError("\"nextCursor\" is missing, empty, longer than 1024 bytes or not a string")
        }
        let hasMore: Bool
        switch json["hasMore"] {
        case .bool(let value)?: hasMore = value
        case nil: hasMore = transactions.count == maxTransactions
        case let other?: throw VendorPageError("\"hasMore\" is a \(other.typeName), not a boolean")
        }
        return VendorPage(transactions: transactions, nextCursor: next, hasMore: hasMore)
    }
}

/// A vendor answer that is not a page: the request counts as failed.
public struct VendorPageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
