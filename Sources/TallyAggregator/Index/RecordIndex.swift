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
    /// The one writer (the ingest thread)'s cache.
    static let writerCacheKiB = 32_768
    static let walAutocheckpointPages = 10_000

    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        var configuration = Configuration()
        configuration.maximumReaderCount = Self.maxReaders
        configuration.prepareDatabase { db in
            // NORMAL (WAL): a commit is atomic and survives a crash of the
            // process, but the last commits may roll back with the machine
            // (OS crash, power loss). The log position rolls back with its
            // records, so those entries are read again from the log (docs/architecture.md,
            // "Index, ingest and exactly-once"); ``makeDurable()`` makes
            // everything committed so far durable before the log is trimmed.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA cache_size = -\(RecordIndex.cacheKiB)")
            try db.execute(sql: "PRAGMA temp_store = FILE")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try pool.write { db in try IndexSchema.create(db) }
        try pool.writeWithoutTransaction { db in
            // The ingest connection gets a larger cache: every batch inserts
            // into three indexes in destination order, i.e. at random pages;
            // with 16 MiB most of them were read back from the file.
            try db.execute(sql: "PRAGMA cache_size = -\(RecordIndex.writerCacheKiB)")
            // A checkpoint copies the WAL's pages into the database file;
            // letting the WAL grow to ~40 MB before one (default: 1000
            // pages, less than one batch) copies each hot index page once
            // per several batches instead of once per batch.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(RecordIndex.walAutocheckpointPages)")
        }
    }

    /// The last log entry ID whose records are committed, nil for a new index.
    public func lastCommittedStreamID() throws -> String? {
        try pool.read { db in try String.fetchOne(db, sql: "SELECT last_stream_id FROM ingest_state WHERE id = 1") }
    }

    /// Makes every commit so far durable: one tiny commit with
    /// `synchronous = FULL` fsyncs the WAL, which holds all earlier commits
    /// too. Called before the log is trimmed, so no entry leaves the log
    /// while the only copy of its record could still roll back.
    public func makeDurable() throws {
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
            try db.inTransaction {
                try db.execute(sql: "UPDATE ingest_state SET last_stream_id = last_stream_id WHERE id = 1")
                return .commit
            }
        }
    }

    /// Copies the WAL into the database file (PASSIVE: never waits for a
    /// reader). Called when ingest catches up: a WAL of up to
    /// `walAutocheckpointPages` not yet copied back makes readers look
    /// every page up in it.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(PASSIVE)") }
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
