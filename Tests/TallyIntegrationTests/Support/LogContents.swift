import TallyCore
import TallyRedisClient
import TallyStore

/// What a log stream holds, read with `XRANGE` the way the aggregator reads
/// it (``LogEntries``): an entry is one record (field `record`, the
/// previous release's workers and a log not switched to batches) or every
/// record one `tally_apply_v4` call applied (field `records`). Tests count
/// records, never entries.
enum LogContents {
    /// Every entry of `log`, oldest first.
    static func entries(_ redis: RedisConnection, _ log: String) throws -> [LogEntries.Entry] {
        var entries: [LogEntries.Entry] = []
        var start = "-"
        while true {
            let page = try LogEntries.parseRange(
                try redis.command(RedisCommand("XRANGE", log, start, "+", "COUNT", "1000")))
            entries += page
            guard page.count == 1000, let last = page.last else { break }
            start = "(" + last.id
        }
        return entries
    }

    /// Every record in `log`, in the order they were applied: canonical JSON.
    static func records(_ redis: RedisConnection, _ log: String) throws -> [[UInt8]] {
        try entries(redis, log).flatMap(\.records)
    }

    /// The recordIds of every record in `log`, in order (an unreadable
    /// record is a test failure).
    static func recordIds(_ redis: RedisConnection, _ log: String) throws -> [String] {
        try records(redis, log).map { body in
            guard case .success(let record) = RecordValidator().validate(body) else {
                throw TestFailure("unreadable record in the log: \(String(decoding: body, as: UTF8.self))")
            }
            return record.recordId
        }
    }

    /// How many records `log` holds.
    static func recordCount(_ redis: RedisConnection, _ log: String) throws -> Int {
        try entries(redis, log).reduce(0) { $0 + $1.records.count }
    }
}
