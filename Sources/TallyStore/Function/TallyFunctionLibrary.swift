import Foundation
import TallyRedisClient

/// The Redis Function libraries that apply records atomically, bundled with
/// this module and loaded by every worker at start (`FUNCTION LOAD
/// REPLACE`) and again whenever Redis answers that a function is missing
/// (a Redis that lost its data).
///
/// - `tally_v4` (`Resources/tally_v4.lua`) applies a batch in one call on
///   **layout 4**: one claim key per recordId, integer totals, the previous
///   summary returned raw for the worker to render (``ApplyBatchCall``).
/// - `tally_v3` (`Resources/tally_v3.lua`, frozen) applies one record per
///   call on **layout 3**, the layout of every Redis that version 3 workers
///   wrote. A worker uses it only while its Redis is on layout 3, so that it
///   runs beside version 3 workers during a rolling upgrade
///   (docs/operations.md, "Upgrading to layout 4").
///
/// Each name carries its version, so neither replaces the other's library
/// under running workers. Once no Redis holds layout 3, `FUNCTION DELETE
/// tally_v3` removes it.
public enum TallyFunctionLibrary {
    /// The library of layout 4.
    public static let name = "tally_v4"
    /// The library of layout 3.
    public static let layout3Name = "tally_v3"
    /// Applies a batch (``ApplyBatchCall`` builds its call).
    public static let apply = ApplyBatchCall.function
    /// Forgets a batch's confirmed outcomes.
    public static let forget = "tally_forget_v4"
    /// Says which layout the Redis holds, starting an empty one on layout 4.
    public static let layout = "tally_layout_v4"
    /// Switches a layout 3 Redis to layout 4.
    public static let upgrade = "tally_upgrade_v4"
    /// Moves one layout 3 pending hash into layout 4 claims.
    public static let adopt = "tally_adopt_v4"
    /// Exact decimal addition alone, for the tests: `FCALL tally_decimal_v4 0 add a b`
    /// (and `tally_decimal_v3`, which also subtracts).
    public static let decimal = "tally_decimal_v4"
    public static let layout3Decimal = "tally_decimal_v3"

    /// The sources of both libraries, read once from the bundled resources.
    public static let source: String = resource(name)
    public static let layout3Source: String = resource(layout3Name)

    /// Loads (or replaces) both libraries on `connection`; safe to repeat.
    public static func load(on connection: RedisConnection) throws(RedisError) {
        for source in [source, layout3Source] {
            let reply = try connection.command(RedisCommand("FUNCTION", "LOAD", "REPLACE", source))
            if let error = reply.errorMessage { throw RedisError(.unexpectedReply, "FUNCTION LOAD: \(error)") }
        }
    }

    private static func resource(_ name: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: "lua"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            // Only a broken install gets here (the resource bundle was not
            // copied next to the binary); nothing can be applied without it.
            fatalError("\(name).lua is missing from the tally_TallyStore resource bundle next to the binary")
        }
        return text
    }
}
