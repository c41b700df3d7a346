import TallyCore

/// A parsed, validated `GET /v1/aggregations` request.
///
/// The filters select the matching records; `limit`/`cursor` only choose
/// which of their records this page shows. Totals never depend on paging.
public struct AggregationQuery: Sendable, Equatable {
    public struct Filters: Sendable, Equatable {
        /// Inclusive.
        public var start: IndexedTime?
        /// Exclusive.
        public var end: IndexedTime?
        public var type: RecordType?
        public var destinationId: String?
        public var sourceId: String?
        public var reference: String?

        public init(
            start: IndexedTime? = nil, end: IndexedTime? = nil, type: RecordType? = nil,
            destinationId: String? = nil, sourceId: String? = nil, reference: String? = nil
        ) {
            self.start = start
            self.end = end
            self.type = type
            self.destinationId = destinationId
            self.sourceId = sourceId
            self.reference = reference
        }

        /// A stable fingerprint of the filters, carried in cursors so that a
        /// cursor replayed with other filters is refused rather than
        /// silently paging a different result (FNV-1a, 64 bits).
        public var fingerprint: String {
            PageCursor.binding([
                ("start", start.map { "\($0.milliseconds).\($0.subMillisecondNanos)" }),
                ("end", end.map { "\($0.milliseconds).\($0.subMillisecondNanos)" }),
                ("type", type?.rawValue), ("destinationId", destinationId), ("sourceId", sourceId), ("reference", reference),
            ])
        }
    }

    public static let defaultLimit = 100
    public static let maxLimit = 1_000

    public var filters: Filters
    /// Records per page.
    public var limit: Int
    /// Where the previous page of records stopped; nil for the first page.
    public var after: PageCursor.Position?
    /// With `totalsOnly`: the last destinationId of the previous page of groups.
    public var afterGroup: String?
    /// Only groups with their count and totals, no records; `limit` and
    /// `cursor` then page the groups.
    public var totalsOnly: Bool

    public init(
        filters: Filters = Filters(), limit: Int = defaultLimit, after: PageCursor.Position? = nil,
        afterGroup: String? = nil, totalsOnly: Bool = false
    ) {
        self.filters = filters
        self.limit = limit
        self.after = after
        self.afterGroup = afterGroup
        self.totalsOnly = totalsOnly
    }
}
