import Foundation
import GRDB
import TallyCore

/// The aggregator's embedded index: SQLite through GRDB, in WAL mode, so the
/// ingest thread writes while HTTP requests read.
///
/// Writes happen only on the ingest thread (synchronous GRDB calls, never on
/// Swift's cooperative pool); reads use GRDB's async API, which runs them on
/// GRDB's own reader queues.
public final class RecordIndex: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Pages of SQLite cache per connection (negative: KiB). With one writer
    /// and at most `maxReaders` readers this bounds the index's memory
    /// whatever its size.
    static let cacheKiB = 16_384
    static let maxReaders = 4

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.maximumReaderCount = Self.maxReaders
        configuration.prepareDatabase { db in
            // FULL: a commit is on disk before the log entries are acked,
            // so an acked entry is never lost with a machine crash.
            try db.execute(sql: "PRAGMA synchronous = FULL")
            try db.execute(sql: "PRAGMA cache_size = -\(RecordIndex.cacheKiB)")
            try db.execute(sql: "PRAGMA temp_store = FILE")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in try IndexSchema.create(db) }
    }

    /// The last log entry ID whose records are committed, nil for a new index.
    public func lastCommittedStreamID() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT last_stream_id FROM ingest_state WHERE id = 1") }
    }

    public func recordCount() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM records") ?? 0 }
    }

    /// Inserts a batch of records and the position after it in ONE
    /// transaction. A recordId already indexed is skipped (INSERT OR IGNORE),
    /// so re-reading log entries after a crash inserts nothing twice.
    ///
    /// - Returns: how many records were new.
    @discardableResult
    public func insert(_ entries: [(record: TallyCore.Record, json: String)], lastStreamID: String) throws -> Int {
        try pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO records
                    (record_id, t_ms, t_sub, destination, source, reference, type, unit, mantissa, scale, value, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            var inserted = 0
            for (record, json) in entries {
                let time = IndexedTime(record.time)
                let value = IndexedValue(record.value)
                statement.setUncheckedArguments([
                    record.recordId, time.milliseconds, time.subMillisecondNanos, record.destinationId,
                    record.sourceId, record.reference, record.type == .positive ? 0 : 1, record.unit,
                    value.mantissa, value.scale, value.mantissa == nil ? value.text : nil, json,
                ])
                try statement.execute()
                inserted += db.changesCount
            }
            try db.execute(
                sql: "INSERT INTO ingest_state (id, last_stream_id) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET last_stream_id = excluded.last_stream_id",
                arguments: [lastStreamID])
            return inserted
        }
    }
}
