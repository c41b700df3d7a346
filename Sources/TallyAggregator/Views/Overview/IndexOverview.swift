import GRDB
import TallyCore

/// What the operator page shows of the index: how many records and
/// destinations it holds, the exact totals per unit, and the destinations
/// with the most records. Whole-index scans, so it is read per page view
/// (an operator's, not a client's: the page is on the admin listener).
public struct IndexOverview: Sendable {
    public struct UnitTotals: Sendable, Equatable {
        public let unit: String
        public var positive = ExactDecimal.zero
        public var negative = ExactDecimal.zero
        public var records = 0
    }

    public struct Destination: Sendable, Equatable {
        public let destinationId: String
        public let records: Int
    }

    public var records = 0
    public var destinations = 0
    /// In byte order of the unit.
    public var units: [UnitTotals] = []
    /// Most records first; ties in byte order of the destinationId.
    public var largest: [Destination] = []

    public init() {}

    /// How many of the largest destinations the page lists.
    public static let largestShown = 10

    public static func read(from index: RecordIndex) async throws -> IndexOverview {
        try await index.pool.read { db in
            var overview = IndexOverview()
            overview.records = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") ?? 0
            overview.destinations = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM (SELECT DISTINCT destination FROM records INDEXED BY records_totals)") ?? 0
            try ExactSumQuery(groupBy: ["unit", "type"], table: "records", filter: SQLFilter())
                .run(db, restart: { overview.units = [] }) { group in
                    let unit = group.string(0)
                    if overview.units.last.map({ ExactText($0.unit) == ExactText(unit) }) != true {
                        overview.units.append(UnitTotals(unit: unit))
                    }
                    let last = overview.units.count - 1
                    if group.int(1) == 0 {
                        overview.units[last].positive = group.total
                    } else {
                        overview.units[last].negative = group.total
                    }
                    overview.units[last].records += group.count
                    return true
                }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT destination, COUNT(*) AS n FROM records INDEXED BY records_totals
                    GROUP BY destination ORDER BY n DESC, destination LIMIT ?
                    """,
                arguments: [largestShown])
            overview.largest = rows.map { Destination(destinationId: $0["destination"], records: $0["n"]) }
            return overview
        }
    }
}
