/// When a record is worth an alert: its value is strictly above the
/// threshold of its unit (a per-unit override, else the default).
public struct AlertPolicy: Sendable, Equatable {
    public var defaultThreshold: ExactDecimal
    public var perUnit: [String: ExactDecimal]

    /// 10000 for every unit unless overridden.
    public init(defaultThreshold: ExactDecimal = ExactDecimal.tenThousand, perUnit: [String: ExactDecimal] = [:]) {
        self.defaultThreshold = defaultThreshold
        self.perUnit = perUnit
    }

    /// The override whose unit has the same bytes as `unit` (a `String`
    /// subscript would also find a canonically equivalent spelling, which
    /// is another unit everywhere else in tally).
    public func threshold(for unit: String) -> ExactDecimal {
        guard !perUnit.isEmpty else { return defaultThreshold }
        for (key, threshold) in perUnit where key.hasSameBytes(as: unit) { return threshold }
        return defaultThreshold
    }

    /// The threshold crossed, or nil when the record is at or below it.
    public func thresholdExceeded(by record: Record) -> ExactDecimal? {
        let threshold = threshold(for: record.unit)
        return threshold < record.value ? threshold : nil
    }

    /// Parses overrides written as `UNIT=AMOUNT` pairs (config files, env).
    public static func parseOverrides(_ pairs: [String]) throws(Rejection) -> [String: ExactDecimal] {
        var result: [String: ExactDecimal] = [:]
        for pair in pairs where !pair.isEmpty {
            guard let equals = pair.lastIndex(of: "="), equals != pair.startIndex,
                let amount = try? ExactDecimal.parse(pair[pair.index(after: equals)...]), !amount.isNegative
            else {
                throw Rejection(.invalidShape, detail: "threshold override \"\(pair)\" is not UNIT=AMOUNT with a non-negative amount")
            }
            result[String(pair[..<equals])] = amount
        }
        return result
    }
}

extension ExactDecimal {
    /// The default alert threshold of the specification.
    public static let tenThousand = try! ExactDecimal.parse("10000")
}
