import GRDB

/// The SQLite schema of the aggregator's index.
///
/// - `records`: one row per recordId (unique), the filter columns, the value
///   as mantissa + scale for exact SQL sums (see ``IndexedValue``), and the
///   canonical record JSON exactly as the log carried it, echoed in responses.
/// - `records_by_destination` (destination, time, recordId, unit, type,
///   scale, mantissa): the page order and its cursor; covering for totals of
///   destinations within a time window.
/// - `records_totals` (destination, unit, type, scale, mantissa): covering,
///   in GROUP BY order, so totals over everything stream without a sort.
/// - `records_by_time` (time, destination, unit, type, scale, mantissa):
///   covering, for time windows.
/// - `ingest_state`: the last log entry committed, in the same transaction
///   as its records, so the consumer group can be rebuilt if Redis lost it.
enum IndexSchema {
    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS records (
            seq INTEGER PRIMARY KEY,
            record_id TEXT NOT NULL,
            t_ms INTEGER NOT NULL,
            t_sub INTEGER NOT NULL,
            destination TEXT NOT NULL,
            source TEXT NOT NULL,
            reference TEXT NOT NULL,
            type INTEGER NOT NULL,
            unit TEXT NOT NULL,
            mantissa INTEGER,
            scale INTEGER NOT NULL,
            value TEXT,
            json TEXT NOT NULL
        )
        """,
        "CREATE UNIQUE INDEX IF NOT EXISTS records_by_id ON records(record_id)",
        "CREATE INDEX IF NOT EXISTS records_by_destination ON records(destination, t_ms, t_sub, record_id, unit, type, scale, mantissa)",
        "CREATE INDEX IF NOT EXISTS records_totals ON records(destination, unit, type, scale, mantissa)",
        "CREATE INDEX IF NOT EXISTS records_by_time ON records(t_ms, t_sub, destination, unit, type, scale, mantissa)",
        VendorViewIndex.statement,
        """
        CREATE TABLE IF NOT EXISTS ingest_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_stream_id TEXT NOT NULL
        )
        """,
    ]

    static func create(_ db: Database) throws {
        for statement in statements { try db.execute(sql: statement) }
    }
}
