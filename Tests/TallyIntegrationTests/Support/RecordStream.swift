import TallyCore

/// Record bodies as producers would write them, and the exact oracle of
/// what the fleet must make of them.
struct RecordStream {
    static let destinations = ["acct-1", "acct{2}", "acct:3", "a}b", "dest-%7B", "ünï-5", "acct-6"]
    static let references = ["inv-1", "inv:2", "ref}3", "inv 4"]
    static let units = ["EUR", "kWh", "USD"]

    static func body(
        id: String, time: String = "2026-03-01T12:00:00Z", source: String = "billing", destination: String,
        type: String = "positive", value: String, unit: String = "EUR", reference: String = "inv-1"
    ) -> [UInt8] {
        var text = "{\"recordId\":" + JSONWriter.quoted(id) + ",\"time\":" + JSONWriter.quoted(time)
        text += ",\"sourceId\":" + JSONWriter.quoted(source) + ",\"destinationId\":" + JSONWriter.quoted(destination)
        text += ",\"type\":" + JSONWriter.quoted(type) + ",\"value\":" + value + ",\"unit\":" + JSONWriter.quoted(unit)
        text += ",\"reference\":" + JSONWriter.quoted(reference) + "}"
        return Array(text.utf8)
    }

    /// `count` valid, distinct records; values are exact decimals with up to
    /// four fraction digits, written as JSON strings or numbers.
    static func valid(count: Int, prefix: String, seed: UInt64) -> [[UInt8]] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { index in
            let integer = Int.random(in: 0...20_000, using: &random)
            let scale = Int.random(in: 0...4, using: &random)
            var value = String(integer)
            if scale > 0 {
                let fraction = Int.random(in: 0..<Int(pow10(scale)), using: &random)
                let digits = String(fraction)
                value += "." + String(repeating: "0", count: scale - digits.count) + digits
            }
            let asNumber = Bool.random(using: &random)
            let second = index % 60
            return body(
                id: "\(prefix)-\(index)", time: "2026-03-01T12:\(index / 60 % 60 < 10 ? "0" : "")\(index / 60 % 60):\(second < 10 ? "0" : "")\(second)Z",
                source: index % 2 == 0 ? "billing" : "payments",
                destination: destinations[Int.random(in: 0..<destinations.count, using: &random)],
                type: Bool.random(using: &random) ? "positive" : "negative",
                value: asNumber ? value : "\"\(value)\"",
                unit: units[Int.random(in: 0..<units.count, using: &random)],
                reference: references[Int.random(in: 0..<references.count, using: &random)])
        }
    }

    private static func pow10(_ n: Int) -> Int { (0..<n).reduce(1) { acc, _ in acc * 10 } }
}

/// What the fleet must produce for a set of valid records: exact summaries
/// per destination and per destination+reference.
struct Oracle {
    private(set) var records: [String: Record] = [:]
    private(set) var byDestination: [String: Summary] = [:]
    private(set) var byReference: [String: [String: Summary]] = [:]

    init(_ bodies: [[UInt8]]) throws {
        for body in bodies {
            let record = try RecordValidator().validate(body).get()
            guard records[record.recordId] == nil else { continue }
            records[record.recordId] = record
            byDestination[record.destinationId, default: Summary()].add(record)
            byReference[record.destinationId, default: [:]][record.reference, default: Summary()].add(record)
        }
    }

    func alerts(_ policy: AlertPolicy) -> Set<String> {
        Set(records.values.filter { policy.thresholdExceeded(by: $0) != nil }.map(\.recordId))
    }
}
