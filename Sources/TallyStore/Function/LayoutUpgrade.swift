import TallyCore
import TallyRedisClient

/// Moves a Redis from layout 3 (what version 3 workers wrote) to layout 4,
/// for `tally store upgrade` (docs/operations.md, "Upgrading to layout 4").
///
/// Run it once no version 3 worker runs any more: from the switch on,
/// version 4 workers apply through `tally_apply_v4`, which a version 3
/// worker does not know. The switch itself is one atomic call
/// (`tally_upgrade_v4`); after it, every record is also looked up where
/// layout 3 kept it — its pending outcome and its claim buckets — so
/// nothing applied before the switch is applied again. The pending
/// outcomes are then moved into layout 4's claims, one destination's hash
/// per atomic call (`tally_adopt_v4`); layout 3's claims are looked up
/// until the last of them has expired.
///
/// The same call switches the log to one entry per Function call (`log
/// batches` in the layout hash), on a Redis already on layout 4 too, and
/// registers every consumer group of the log as a reader of batch entries
/// (``LogReaders``): run it once every aggregator reads them
/// (docs/operations.md, "Batched log entries").
public struct LayoutUpgrade {
    public struct Report: Sendable, Equatable {
        /// False when the Redis was on layout 4 already (a repeated run
        /// still finishes an interrupted move of pending outcomes).
        public var switched = false
        /// True when this run switched the log to batch entries (with the
        /// layout, or on a layout 4 Redis the previous release wrote).
        public var logBatched = false
        /// Consumer groups of the log registered by this run as readers of
        /// batch entries (an aggregator of this release registers its own).
        public var readersRegistered: [String] = []
        public var pendingHashes = 0
        public var pendingOutcomesMoved = 0
    }

    private let connection: RedisConnection
    private let layout: RedisKeyLayout

    public init(connection: RedisConnection, layout: RedisKeyLayout) {
        self.connection = connection
        self.layout = layout
    }

    /// Switches the layout and moves the pending outcomes; `progress` hears
    /// about each step. Safe to run again after an interruption.
    public func run(progress: (String) -> Void) throws(RedisError) -> Report {
        try TallyFunctionLibrary.load(on: connection)
        var report = Report()
        let switched = try connection.command(RedisCommand("FCALL", TallyFunctionLibrary.upgrade, "1", layout.layoutVersion))
        guard let answer = switched.text else {
            throw RedisError(.unexpectedReply, "\(TallyFunctionLibrary.upgrade): \(switched.errorMessage ?? "\(switched)")")
        }
        report.switched = answer == "upgraded"
        report.logBatched = answer == "upgraded" || answer == "log-batched"
        switch answer {
        case "upgraded":
            progress("switched to layout 4, the log to one entry per batch; layout 3's claims are looked up until the last has expired")
        case "log-batched": progress("already on layout 4; switched the log to one entry per batch")
        default: progress("already on layout 4, the log in batches")
        }
        report.readersRegistered = try LogReaders.unregistered(on: connection, layout: layout)
        for group in report.readersRegistered { try LogReaders.register(group, on: connection, layout: layout) }
        if !report.readersRegistered.isEmpty {
            progress("the log's consumer groups \(report.readersRegistered.joined(separator: ", ")) are taken to read batch entries")
        }
        var cursor = "0"
        repeat {
            let page = try connection.command(
                RedisCommand("SCAN", cursor, "MATCH", layout.prefix + ":{*}:pending", "COUNT", "1000", "TYPE", "hash"))
            guard let parts = page.elements, parts.count == 2, let next = parts[0].text, let keys = parts[1].elements else {
                throw RedisError(.unexpectedReply, "SCAN: \(page.errorMessage ?? "\(page)")")
            }
            for key in keys.compactMap(\.text) where isPendingHash(key) {
                let moved = try connection.command(RedisCommand("FCALL", TallyFunctionLibrary.adopt, "1", key, layout.prefix))
                guard let count = moved.integer else {
                    throw RedisError(.unexpectedReply, "\(TallyFunctionLibrary.adopt) \(key): \(moved.errorMessage ?? "\(moved)")")
                }
                report.pendingHashes += 1
                report.pendingOutcomesMoved += Int(count)
            }
            if !keys.isEmpty {
                progress("moved \(report.pendingOutcomesMoved) pending outcomes from \(report.pendingHashes) destinations")
            }
            cursor = next
        } while cursor != "0"
        let done = try connection.command(RedisCommand("HDEL", layout.layoutVersion, "v3-pending"))
        if let error = done.errorMessage { throw RedisError(.unexpectedReply, "HDEL v3-pending: \(error)") }
        progress("layout 3's pending outcomes are all in layout 4's claims")
        return report
    }

    /// Whether `key` is a destination's pending hash, `<prefix>:{<d>}:pending`,
    /// and not, say, the summary of a reference ending in `}:pending`: an
    /// escaped destination holds no brace.
    func isPendingHash(_ key: String) -> Bool {
        let head = layout.prefix + ":{", tail = "}:pending"
        guard key.hasBytePrefix(head), key.utf8.count > head.utf8.count + tail.utf8.count, key.utf8.reversed().starts(with: tail.utf8.reversed())
        else { return false }
        let inner = key.utf8.dropFirst(head.utf8.count).dropLast(tail.utf8.count)
        return !inner.contains(UInt8(ascii: "{")) && !inner.contains(UInt8(ascii: "}"))
    }
}
