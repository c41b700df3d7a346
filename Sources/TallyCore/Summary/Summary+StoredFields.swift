/// A summary hash in Redis could not be read back: a field tally never
/// writes, or a value that is not what the field holds.
public struct StoredSummaryError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension Summary {
    /// Reads a summary back from the fields and values of its Redis hash
    /// (`docs/architecture.md`, "Keys"):
    ///
    /// - `count`: the number of records;
    /// - `P:<unit>` / `N:<unit>`: the sum of the positive / negative amounts'
    ///   significands, an integer at the scale in `Ps:<unit>` / `Ns:<unit>`
    ///   (absent: 0), which is the largest scale of those amounts (layout 4);
    /// - `p:<unit>` / `n:<unit>`: an exact decimal total, for what did not
    ///   fit the integers (and everything layout 3 added).
    ///
    /// A unit's total is the sum of its fields, so its text has the largest
    /// scale of any amount added, as when every amount is added one by one.
    /// Fields are compared as bytes: a unit may begin with a combining mark,
    /// which `String` would fuse with the `:` before it.
    public init(storedFields fields: [(field: String, value: String)]) throws(StoredSummaryError) {
        var count = 0
        var exact: [ExactText: UnitTotals] = [:]  // by bytes, as Redis keys units
        var significands: [ExactText: (positive: UInt64?, negative: UInt64?)] = [:]
        var scales: [ExactText: (positive: Int, negative: Int)] = [:]
        for (field, value) in fields {
            if field.hasSameBytes(as: "count") {
                guard let parsed = Int(value) else { throw StoredSummaryError("count is not an integer: \(value)") }
                count = parsed
                continue
            }
            let bytes = Array(field.utf8)
            guard let first = bytes.first else { throw StoredSummaryError("an empty summary field") }
            let scaleField = bytes.count > 2 && bytes[1] == UInt8(ascii: "s") && bytes[2] == UInt8(ascii: ":")
            let prefix = scaleField ? 3 : 2
            guard bytes.count >= prefix, scaleField || bytes[1] == UInt8(ascii: ":") else {
                throw StoredSummaryError("unknown summary field \(field)")
            }
            let unit = ExactText(field.droppingFirstBytes(prefix))
            switch (first, scaleField) {
            case (UInt8(ascii: "p"), false), (UInt8(ascii: "n"), false):
                let amount: ExactDecimal
                do { amount = try ExactDecimal.parseTotal(value) } catch {
                    throw StoredSummaryError("\(field) is not a decimal total: \(value)")
                }
                var entry = exact[unit] ?? UnitTotals(unit: unit.string)
                if first == UInt8(ascii: "p") { entry.positive = amount } else { entry.negative = amount }
                exact[unit] = entry
            case (UInt8(ascii: "P"), false), (UInt8(ascii: "N"), false):
                guard let significand = UInt64(value) else { throw StoredSummaryError("\(field) is not an integer total: \(value)") }
                var entry = significands[unit] ?? (nil, nil)
                if first == UInt8(ascii: "P") { entry.positive = significand } else { entry.negative = significand }
                significands[unit] = entry
            case (UInt8(ascii: "P"), true), (UInt8(ascii: "N"), true):
                guard let scale = Int(value), (0...ExactDecimal.maxFractionDigits).contains(scale) else {
                    throw StoredSummaryError("\(field) is not a scale: \(value)")
                }
                var entry = scales[unit] ?? (0, 0)
                if first == UInt8(ascii: "P") { entry.positive = scale } else { entry.negative = scale }
                scales[unit] = entry
            default:
                throw StoredSummaryError("unknown summary field \(field)")
            }
        }
        for (unit, pair) in significands {
            var entry = exact[unit] ?? UnitTotals(unit: unit.string)
            let scale = scales[unit] ?? (0, 0)
            if let positive = pair.positive { entry.positive += ExactDecimal(significand: positive, scale: scale.positive) }
            if let negative = pair.negative { entry.negative += ExactDecimal(significand: negative, scale: scale.negative) }
            exact[unit] = entry
        }
        self.init(count: count, totals: Array(exact.values))
    }
}
