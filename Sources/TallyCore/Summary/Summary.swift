/// The running summary of a set of records: how many, and exact totals per
/// unit. The Redis Function keeps the same arithmetic in Lua (see
/// `TallyFunctionLibrary`); this is the reference the tests hold it to, and
/// what the aggregator and load-test oracles use.
public struct Summary: Sendable, Equatable {
    public private(set) var count: Int = 0
    /// Sorted by the units' UTF-8 bytes, the order Redis renders them in.
    public private(set) var totals: [UnitTotals] = []

    public init() {}

    public init(count: Int, totals: [UnitTotals]) {
        self.count = count
        self.totals = totals.sorted { Self.byteOrder($0.unit, $1.unit) }
    }

    public mutating func add(_ record: Record) {
        count += 1
        let index: Int
        // Units are compared by their bytes, as Redis keys them: Swift's `==`
        // would merge canonically equivalent spellings that Redis keeps apart.
        if let found = totals.firstIndex(where: { $0.unit.utf8.elementsEqual(record.unit.utf8) }) {
            index = found
        } else {
            let insertAt = totals.firstIndex(where: { Self.byteOrder(record.unit, $0.unit) }) ?? totals.endIndex
            totals.insert(UnitTotals(unit: record.unit), at: insertAt)
            index = insertAt
        }
        switch record.type {
        case .positive: totals[index].positive += record.value
        case .negative: totals[index].negative += record.value
        }
    }

    /// `{"count":n,"totals":[{"unit","positive","negative","net"}]}`: the
    /// `previous` object of a notification.
    public var json: String {
        var out = "{\"count\":\(count),\"totals\":["
        for (position, entry) in totals.enumerated() {
            if position > 0 { out += "," }
            entry.appendJSON(to: &out)
        }
        out += "]}"
        return out
    }

    /// Byte order, not Swift's Unicode-aware `<`, so Swift and Lua agree.
    static func byteOrder(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}

extension Summary {
    /// Reads a summary back from its JSON form (a notification's `previous`).
    public init(json: JSONValue) throws(Rejection) {
        guard case .number(let countText)? = json["count"], let count = Int(countText),
            case .array(let entries)? = json["totals"]
        else {
            throw Rejection(.invalidShape, detail: "not a summary: \(json.typeName)")
        }
        var totals: [UnitTotals] = []
        for entry in entries {
            guard case .string(let unit)? = entry["unit"],
                case .string(let positive)? = entry["positive"],
                case .string(let negative)? = entry["negative"],
                let p = try? ExactDecimal.parseTotal(positive),
                let n = try? ExactDecimal.parseTotal(negative)
            else {
                throw Rejection(.invalidShape, detail: "not a unit total")
            }
            totals.append(UnitTotals(unit: unit, positive: p, negative: n))
        }
        self.init(count: count, totals: totals)
    }
}
