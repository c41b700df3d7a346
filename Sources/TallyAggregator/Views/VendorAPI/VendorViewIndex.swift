import Foundation
import TallyAdapters

/// The index the vendor views read: a *partial* index over the vendor
/// adapter's records only, so records of every other source pay nothing for
/// it at ingest. Its columns are the views' GROUP BY order (user, unit,
/// type, scale) and cover the mantissa, so the sums never touch the table.
enum VendorViewIndex {
    static let name = "records_vendor"
    /// The vendor's sourceId as an SQL literal: a partial index is used only
    /// by queries whose WHERE names the same literal (a bound parameter
    /// would not do). It is a constant of the code, never user input.
    static let sourceLiteral = "'" + AdapterNamespace.vendor.sourceId.replacingOccurrences(of: "'", with: "''") + "'"

    static let statement = """
        CREATE INDEX IF NOT EXISTS \(name) ON records(destination, unit, reference, scale, mantissa) \
        WHERE source = \(sourceLiteral)
        """
}
