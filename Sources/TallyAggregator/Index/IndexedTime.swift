import TallyCore

/// An instant as the index keys it: whole epoch milliseconds plus the
/// nanoseconds past that millisecond.
///
/// A single Int64 of nanoseconds cannot hold every year RFC 3339 allows
/// (0001–9999), and milliseconds alone would round away the nanoseconds a
/// producer wrote, making `start`/`end` filters inexact. The pair compares
/// as a SQL row value `(t_ms, t_sub)`, which SQLite still serves from an index.
public struct IndexedTime: Sendable, Hashable, Comparable {
    public let milliseconds: Int64
    /// 0..<1_000_000.
    public let subMillisecondNanos: Int64

    public init(milliseconds: Int64, subMillisecondNanos: Int64) {
        self.milliseconds = milliseconds
        self.subMillisecondNanos = subMillisecondNanos
    }

    public init(_ timestamp: RFC3339Timestamp) {
        milliseconds = timestamp.epochMilliseconds
        subMillisecondNanos = Int64(timestamp.nanoseconds % 1_000_000)
    }

    public static func < (a: IndexedTime, b: IndexedTime) -> Bool {
        (a.milliseconds, a.subMillisecondNanos) < (b.milliseconds, b.subMillisecondNanos)
    }
}
