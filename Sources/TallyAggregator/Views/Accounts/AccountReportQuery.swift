import GRDB
import TallyAdapters
import TallyCore

/// Reads an account's transactions from the index for ``AccountReportBuilder``,
/// and lists the accounts the transactions source has written to.
///
/// The query only sums and counts; the report itself (balance, averages,
/// months) is computed by the pure builder. As in ``AggregationEngine``,
/// SQL sums the Int64 mantissas per (currency, type, month, scale) — exact,
/// SQLite raises on overflow — values too long for Int64 are summed from
/// their text, and an overflowing sum falls back to summing every value
/// exactly in Swift.
public struct AccountReportQuery: Sendable {
    public let index: RecordIndex
    public let namespace: AdapterNamespace

    public init(index: RecordIndex, namespace: AdapterNamespace = .transactions) {
        self.index = index
        self.namespace = namespace
    }

    /// The report of `account`, nil when no transaction names it.
    public func report(account: String) async throws -> AccountReport? {
        let destination = namespace.destination(account)
        let source = namespace.sourceId
        return try await index.pool.read { db in
            var builder = AccountReportBuilder()
            var filter = SQLFilter()
            filter.add("destination = ?", [destination])
            filter.add("source = ?", [source])
            try ExactSumQuery(groupBy: ["unit", "type", "reference"], table: "records INDEXED BY records_by_destination", filter: filter)
                .run(db, restart: { builder = AccountReportBuilder() }) { group in
                    builder.add(
                        count: group.count, total: group.total, type: group.int(1) == 0 ? .positive : .negative,
                        currency: group.string(0), month: group.string(2))
                    return true
                }
            return builder.report(account: account)
        }
    }

    /// One page of accounts in byte order, each with its transaction count.
    public struct AccountPage: Sendable, Equatable {
        public let accounts: [(account: String, transactionCount: Int)]
        /// The last account of this page when more follow: the position of
        /// the route's `nextCursor`, passed back as `after`.
        public let lastIfMore: String?

        public static func == (a: AccountPage, b: AccountPage) -> Bool {
            a.lastIfMore == b.lastIfMore && a.accounts.elementsEqual(b.accounts) { $0 == $1 }
        }
    }

    /// Accounts after `after` (exclusive), at most `limit`.
    public func accounts(after: String?, limit: Int) async throws -> AccountPage {
        let prefix = namespace.destinationPrefix
        let lower = prefix + (after ?? "")
        let namespace = self.namespace
        return try await index.pool.read { db in
            // Destinations of this prefix form one range of the index:
            // [prefix, prefix with its last byte incremented).
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT destination, COUNT(*) FROM records INDEXED BY records_by_destination
                    WHERE destination \(after == nil ? ">=" : ">") ? AND destination < ? AND source = ?
                    GROUP BY destination ORDER BY destination LIMIT ?
                    """,
                arguments: [lower, Self.upperBound(ofPrefix: prefix), namespace.sourceId, limit + 1])
            var accounts: [(account: String, transactionCount: Int)] = []
            for row in rows.prefix(limit) {
                let destination: String = row[0]
                guard let account = namespace.key(ofDestination: destination) else { continue }
                accounts.append((account, row[1]))
            }
            return AccountPage(accounts: accounts, lastIfMore: rows.count > limit ? accounts.last?.account : nil)
        }
    }

    /// The smallest text above every text that starts with `prefix`, in
    /// SQLite's byte order: the prefix with its last byte incremented
    /// (`account:` → `account;`). Prefixes are ASCII, never ending in 0x7F.
    static func upperBound(ofPrefix prefix: String) -> String {
        var bytes = Array(prefix.utf8)
        precondition(!bytes.isEmpty && bytes.last! < 0x7F, "a destination prefix must end in a printable ASCII byte")
        bytes[bytes.count - 1] += 1
        return String(decoding: bytes, as: UTF8.self)
    }
}
