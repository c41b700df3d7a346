import TallyCore

/// Combines partial sums into exact per-destination, per-unit totals.
///
/// SQL hands back `SUM(mantissa)` per (destination, unit, type, scale); those
/// and any values summed from text are added here with ``ExactDecimal``, so
/// nothing on the way is a binary float. Pure, unit-tested.
public struct TotalsAccumulator: Sendable {
    private struct Key: Hashable {
        let destination: [UInt8]
        let unit: [UInt8]
    }

    private var totals: [Key: UnitTotals] = [:]
    private var counts: [[UInt8]: Int] = [:]

    public init() {}

    public mutating func addCount(_ count: Int, destination: String) {
        counts[Array(destination.utf8), default: 0] += count
    }

    public mutating func add(_ amount: ExactDecimal, destination: String, unit: String, type: RecordType) {
        let key = Key(destination: Array(destination.utf8), unit: Array(unit.utf8))
        var entry = totals[key] ?? UnitTotals(unit: unit)
        switch type {
        case .positive: entry.positive += amount
        case .negative: entry.negative += amount
        }
        totals[key] = entry
    }

    /// Groups in destinationId byte order (the API's order), totals in unit
    /// byte order, as Redis summaries render them.
    public func groups() -> [(destinationId: String, count: Int, totals: [UnitTotals])] {
        var byDestination: [[UInt8]: [UnitTotals]] = [:]
        for (key, entry) in totals { byDestination[key.destination, default: []].append(entry) }
        return counts.keys.sorted { $0.lexicographicallyPrecedes($1) }.map { destination in
            let entries = (byDestination[destination] ?? []).sorted { $0.unit.utf8.lexicographicallyPrecedes($1.unit.utf8) }
            return (String(decoding: destination, as: UTF8.self), counts[destination] ?? 0, entries)
        }
    }
}
