import TallyRedisClient

/// The tally Redis module (`redis-module/tally_module.c`): `tally_apply_v4`
/// and `tally_forget_v4` as native commands, with the same arguments, the
/// same replies and the same writes, byte for byte. Where a Redis loaded
/// it, a batch costs Redis about a third of the instructions the Function
/// costs (BENCHMARKS.md); where it did not, nothing changes.
///
/// The Function stays the reference and the fallback: a worker uses the
/// module only on layout 4 and outside layout 3's window
/// (``Layout3Window``), and a module call that meets anything it does not
/// do natively declines the whole call (``declineCode``) before writing.
/// Workers of either kind, and of the previous release, run side by side.
public enum TallyModule {
    /// Applies a batch: `TALLY.APPLY_V4 2 <layout> <log> ARGV…`, as `FCALL tally_apply_v4`.
    public static let apply = "TALLY.APPLY_V4"
    /// Forgets a batch's confirmed outcomes, as `FCALL tally_forget_v4`.
    public static let forget = "TALLY.FORGET_V4"
    /// The first word of the whole-call error with which a module call
    /// declines a batch it leaves to the Function. Nothing was written.
    public static let declineCode = "TALLYLUA"

    /// Whether the Redis on `connection` has both commands (`COMMAND INFO`
    /// answers nil for a command it does not know).
    public static func isLoaded(on connection: RedisConnection) throws(RedisError) -> Bool {
        try isLoaded(answering: connection.command(commandInfo))
    }

    private static let commandInfo = RedisCommand("COMMAND", "INFO", apply, forget)

    private static func isLoaded(answering reply: RedisReply) throws(RedisError) -> Bool {
        guard let entries = reply.elements else {
            throw RedisError(.unexpectedReply, "COMMAND INFO: \(reply.errorMessage ?? "\(reply)")")
        }
        return entries.count == 2 && entries.allSatisfy { $0 != .null }
    }

    /// The route a worker choosing now takes on a Redis on layout 4, and
    /// why: for `tally store layout`. (A worker whose module call declined
    /// a batch keeps to the Function for ten minutes besides.)
    public static func route(
        on connection: RedisConnection, layout: RedisKeyLayout, bucketSeconds: Int, buckets: Int, aheadSeconds: Int
    ) throws(RedisError) -> RouteChoice {
        try route(on: connection, layoutHash: layout.layoutVersion,
            dedup: DedupArguments(bucketSeconds: bucketSeconds, buckets: buckets, aheadSeconds: aheadSeconds))
    }

    /// The module where it is loaded and layout 3's window is closed
    /// (``Layout3Window``, on Redis's clock), else the Function. One round
    /// trip; only while no reply is outstanding.
    static func route(on connection: RedisConnection, layoutHash: String, dedup: DedupArguments) throws(RedisError) -> RouteChoice {
        let replies = try connection.pipeline([
            commandInfo, RedisCommand("HMGET", layoutHash, "v3-switched-at", "v3-pending"), RedisCommand("TIME"),
        ])
        guard try isLoaded(answering: replies[0]) else {
            return RouteChoice(route: .function, reason: "this Redis has not loaded the tally module")
        }
        guard let fields = replies[1].elements, fields.count == 2, let now = replies[2].elements?.first?.text.flatMap({ Int($0) })
        else { throw RedisError(.unexpectedReply, "the layout's layout 3 fields and TIME: \(replies)") }
        let window = Layout3Window(switchedAt: fields[0].text.flatMap { Int($0) }, pendingMigrating: fields[1].text == "migrating")
        if window.pendingMigrating {
            return RouteChoice(route: .function, reason: "layout 3's pending outcomes are being moved (v3-pending migrating)")
        }
        if window.isOpen(at: now, dedup), let closes = window.closes(dedup) {
            return RouteChoice(route: .function, reason: "layout 3's claims may still be looked up, for \(closes - now) s more")
        }
        return RouteChoice(route: .module, reason: "the tally module is loaded")
    }
}

/// A route and the reason it was chosen.
public struct RouteChoice: Sendable, Equatable, CustomStringConvertible {
    public let route: ApplyRoute
    public let reason: String

    /// One line for people: the route, and why when it is not the module.
    public var description: String { route == .module ? route.description : "\(route): \(reason)" }
}

/// Which implementation applies a batch on layout 4.
public enum ApplyRoute: String, Sendable, CustomStringConvertible {
    /// `FCALL tally_apply_v4`: every Redis has it (workers load it).
    case function
    /// `TALLY.APPLY_V4`: where the Redis loaded the tally module.
    case module

    /// `the tally module (TALLY.APPLY_V4)` or `the Function (tally_apply_v4)`.
    public var description: String {
        switch self {
        case .module: "the tally module (\(TallyModule.apply))"
        case .function: "the Function (\(TallyFunctionLibrary.apply))"
        }
    }
}

/// While layout 3's data is still in use on a Redis switched to layout 4:
/// `tally_apply_v4` looks records up in layout 3's claim buckets until
/// they have all expired, and in its pending hashes until `tally store
/// upgrade` has moved them (`v3-pending` is `migrating`). The module does
/// neither; a worker sends those batches to the Function. The same
/// arithmetic as the Function's, on Redis's clock, with a margin.
struct Layout3Window: Sendable, Equatable {
    /// Epoch seconds of the switch (`v3-switched-at`), nil if the Redis never held layout 3.
    let switchedAt: Int?
    /// `v3-pending` is `migrating`.
    let pendingMigrating: Bool

    /// Seconds to spare after the Function stops reading layout 3's claims
    /// (clocks of workers and Redis apart, a batch in flight).
    static let margin = 60

    /// Epoch seconds from which the Function no longer reads layout 3's
    /// claims, plus `margin`; nil if the Redis never held layout 3.
    func closes(_ dedup: DedupArguments, margin: Int = Layout3Window.margin) -> Int? {
        switchedAt.map { $0 + dedup.layout3ClaimsOutliveSwitch + margin }
    }

    /// Whether the Function still reads layout 3's data at `now` (Redis's
    /// epoch seconds), with `margin` seconds to spare.
    func isOpen(at now: Int, _ dedup: DedupArguments, margin: Int = Layout3Window.margin) -> Bool {
        pendingMigrating || closes(dedup, margin: margin).map { now < $0 } ?? false
    }
}
