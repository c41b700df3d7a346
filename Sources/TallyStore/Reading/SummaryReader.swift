import TallyCore
import TallyRedisClient

/// Reads the live summaries of a destination from Redis, as the Function
/// keeps them: overall and per reference.
public struct SummaryReader {
    public struct DestinationSummary: Sendable, Equatable {
        public let destinationId: String
        public let overall: Summary
        public let byReference: [(reference: String, summary: Summary)]

        public static func == (a: Self, b: Self) -> Bool {
            a.destinationId == b.destinationId && a.overall == b.overall
                && a.byReference.map(\.reference) == b.byReference.map(\.reference)
                && a.byReference.map(\.summary) == b.byReference.map(\.summary)
        }
    }

    private let connection: RedisConnection
    private let layout: RedisKeyLayout

    public init(connection: RedisConnection, layout: RedisKeyLayout) {
        self.connection = connection
        self.layout = layout
    }

    public func destination(_ destinationId: String) throws -> DestinationSummary {
        let overall = try summary(at: layout.destinationSummary(destinationId))
        let references = try connection.command(RedisCommand("SMEMBERS", layout.references(destinationId)))
            .elements?.compactMap(\.text).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } ?? []
        var byReference: [(String, Summary)] = []
        for reference in references {
            byReference.append((reference, try summary(at: layout.referenceSummary(destinationId, reference: reference))))
        }
        return DestinationSummary(destinationId: destinationId, overall: overall, byReference: byReference)
    }

    /// Parses a summary hash: `count`, `p:<unit>`, `n:<unit>`.
    func summary(at key: String) throws -> Summary {
        let reply = try connection.command(RedisCommand("HGETALL", key))
        guard let flat = reply.elements else { throw RedisError(.unexpectedReply, "HGETALL \(key): \(reply)") }
        var count = 0
        var totals: [[UInt8]: UnitTotals] = [:]  // by bytes, as Redis keys units
        var index = 0
        while index + 1 < flat.count {
            let field = flat[index].text ?? ""
            let value = flat[index + 1].text ?? ""
            index += 2
            if field == "count" {
                count = Int(value) ?? 0
                continue
            }
            let unit = String(field.dropFirst(2))
            let amount = try ExactDecimal.parse(value)
            var entry = totals[Array(unit.utf8)] ?? UnitTotals(unit: unit)
            if field.hasPrefix("p:") { entry.positive = amount } else { entry.negative = amount }
            totals[Array(unit.utf8)] = entry
        }
        return Summary(count: count, totals: Array(totals.values))
    }
}
