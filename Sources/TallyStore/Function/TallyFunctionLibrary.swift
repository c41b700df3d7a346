import Foundation

/// The Redis Function library that applies a record atomically; its source
/// is `Resources/tally_v3.lua`, bundled with this module and loaded by every
/// worker at start (`FUNCTION LOAD REPLACE`) and again whenever Redis
/// answers that the function is missing (a Redis that lost its data).
///
/// One `FCALL tally_apply_v3` does the claim, both summaries, the log append
/// and the stored outcome in one Redis transaction: no state can exist
/// where the claim is there and the effect is not. The Lua file documents
/// each KEY and ARGV; ``ApplyCall`` writes them.
///
/// The name is versioned with the arguments. A worker loads its own
/// version, so during a rolling upgrade old and new workers each call the
/// function that reads their arguments, on the same keys and stored
/// formats; nothing replaces the other's library. `FUNCTION DELETE tally`
/// removes version 1 once no worker of that version runs.
public enum TallyFunctionLibrary {
    /// The library's name (the `#!lua name=` line of the file).
    public static let name = "tally_v3"
    /// The function that applies a record (``ApplyCall`` builds its call).
    public static let apply = ApplyCall.function
    /// Decimal arithmetic alone, for the tests: `FCALL tally_decimal_v3 0 add|sub a b`.
    public static let decimal = "tally_decimal_v3"

    /// The library's Lua source, read once from the bundled resource.
    public static let source: String = {
        guard let url = Bundle.module.url(forResource: name, withExtension: "lua"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            // Only a broken install gets here (the resource bundle was not
            // copied next to the binary); nothing can be applied without it.
            fatalError("\(name).lua is missing from the tally_TallyStore resource bundle next to the binary")
        }
        return text
    }()
}
