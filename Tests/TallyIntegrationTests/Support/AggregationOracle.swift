import Foundation
import TallyCore
import TallyRedisClient

/// Writes records straight into a test's log stream (as the worker's
/// Function does: one `record` field of canonical JSON per entry, or with a
/// batched log one `records` field per call), and computes what the
/// aggregator must answer for any filters, with `Summary` arithmetic.
struct AggregationOracle {
    let records: [Record]

    /// Batch entries, as `tally_apply_v4` writes them with `log batches`:
    /// `perEntry` records' canonical JSON joined by newlines per entry.
    static func appendBatched(_ records: [Record], perEntry: Int, to environment: TestEnvironment) throws {
        let commands = stride(from: 0, to: records.count, by: perEntry).map { start in
            RedisCommand("XADD", environment.layout.log, "*", "records",
                records[start..<min(start + perEntry, records.count)].map(\.canonicalJSON).joined(separator: "\n"))
        }
        for reply in try environment.redis().pipeline(commands) where reply.errorMessage != nil {
            throw TestFailure("XADD: \(reply)")
        }
    }

    static func append(_ records: [Record], to environment: TestEnvironment) throws {
        let redis = try environment.redis()
        for chunk in stride(from: 0, to: records.count, by: 500) {
            let commands = records[chunk..<min(chunk + 500, records.count)].map {
                RedisCommand("XADD", environment.layout.log, "*", "record", $0.canonicalJSON)
            }
            for reply in try redis.pipeline(commands) where reply.errorMessage != nil {
                throw TestFailure("XADD: \(reply)")
            }
        }
    }

    struct Filters {
        var start: String?
        var end: String?
        var type: String?
        var destinationId: String?
        var sourceId: String?
        var reference: String?

        var queryItems: [URLQueryItem] {
            [("start", start), ("end", end), ("type", type), ("destinationId", destinationId), ("sourceId", sourceId),
             ("reference", reference)].compactMap { name, value in value.map { URLQueryItem(name: name, value: $0) } }
        }

        func matches(_ record: Record) throws -> Bool {
            if let start, record.time < (try RFC3339Timestamp.parse(start)) { return false }
            if let end, !(record.time < (try RFC3339Timestamp.parse(end))) { return false }
            if let type, record.type.rawValue != type { return false }
            if let destinationId, record.destinationId != destinationId { return false }
            if let sourceId, record.sourceId != sourceId { return false }
            if let reference, record.reference != reference { return false }
            return true
        }
    }

    /// destinationId → summary of the matching records.
    func expected(_ filters: Filters) throws -> [String: Summary] {
        var out: [String: Summary] = [:]
        for record in records where try filters.matches(record) {
            out[record.destinationId, default: Summary()].add(record)
        }
        return out
    }
}

/// A query string with every reserved character percent-encoded (`+`
/// included, which URLComponents leaves alone but servers read as a space).
func queryString(_ items: [URLQueryItem]) -> String {
    let allowed = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return items.map { item in
        item.name + "=" + (item.value ?? "").addingPercentEncoding(withAllowedCharacters: allowed)!
    }.joined(separator: "&")
}
