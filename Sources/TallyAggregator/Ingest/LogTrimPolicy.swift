/// How far the log may be trimmed. Pure, unit-tested.
///
/// An entry may go only once *every* consumer group has committed it — each
/// aggregator replica has its own group, and a group's entry is committed
/// when it was delivered and is no longer pending (the aggregator acks only
/// after its SQLite commit) — and once it is older than the retention
/// window, which is what a replica that lost its index can rebuild from.
public enum LogTrimPolicy {
    public struct GroupPosition: Sendable, Equatable {
        public let name: String
        public let lastDelivered: StreamID
        /// The oldest delivered-but-unacked entry, if any.
        public let oldestPending: StreamID?

        public init(name: String, lastDelivered: StreamID, oldestPending: StreamID?) {
            self.name = name
            self.lastDelivered = lastDelivered
            self.oldestPending = oldestPending
        }

        /// The first entry this group still needs.
        public var firstNeeded: StreamID { oldestPending ?? lastDelivered.successor }
    }

    /// The `MINID` for `XTRIM` (entries before it are removed), or nil when
    /// nothing may be trimmed. Never past any group's first needed entry, nor
    /// into the last `retentionMilliseconds` before `nowMilliseconds`.
    public static func minimumID(
        groups: [GroupPosition], nowMilliseconds: UInt64, retentionMilliseconds: UInt64
    ) -> StreamID? {
        guard let needed = groups.map(\.firstNeeded).min() else { return nil }
        let cutoff = StreamID(
            milliseconds: nowMilliseconds > retentionMilliseconds ? nowMilliseconds - retentionMilliseconds : 0, sequence: 0)
        let limit = min(needed, cutoff)
        return limit == .zero ? nil : limit
    }
}
