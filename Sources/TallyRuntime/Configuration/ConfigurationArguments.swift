/// The command-line flags that set configuration keys, split from the
/// process's own options before ArgumentParser sees them.
///
/// Every key of `Config/*.json` is a flag: `batch.maxSize` is
/// `--batch-max-size` (camelCase splits into dashes, as swift-configuration's
/// `CommandLineArgumentsProvider` encodes keys). A flag takes one value,
/// `--batch-max-size 50` or `--batch-max-size=50`; repeating it builds an
/// array (`alerts.unitThresholds`), as do commas. Only flags naming a known
/// key are taken, so a misspelt option still gets ArgumentParser's
/// "unknown option" error instead of being ignored. The split is a pure
/// function of the arguments, so the executables' `main` and their
/// configuration loading see the same result without sharing state.
public struct ConfigurationArguments: Sendable, Equatable {
    /// The flags with their values, in a form `CommandLineArgumentsProvider`
    /// reads (without the program name).
    public private(set) var overrides: [String] = []
    /// Everything else, in order: the process's own options and arguments.
    public private(set) var remaining: [String] = []

    /// Splits `arguments` (without the program name) for a process whose
    /// configuration keys are `keys`. A `--` ends option parsing: what
    /// follows is left alone.
    public init(splitting arguments: [String], keys: some Sequence<String>) {
        let flags = Set(keys.map(Self.flag(for:)))
        var index = arguments.startIndex
        while index < arguments.endIndex {
            let argument = arguments[index]
            index += 1
            if argument == "--" {
                remaining.append(contentsOf: arguments[(index - 1)...])
                break
            }
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            guard flags.contains(name) else {
                remaining.append(argument)
                continue
            }
            if name.count < argument.count {
                overrides.append(argument)
            } else if index < arguments.endIndex {
                // The next argument is the value, whatever it looks like:
                // an empty string or a negative number are values too.
                overrides.append("\(name)=\(arguments[index])")
                index += 1
            } else {
                overrides.append(name)  // no value: reported as such when read
            }
        }
    }

    /// The flag of a configuration key: `batch.maxSize` → `--batch-max-size`.
    public static func flag(for key: String) -> String {
        "--" + key.split(separator: ".").map { dashed(String($0)) }.joined(separator: "-")
    }

    /// The environment variable of a key: `batch.maxSize` → `TALLY_BATCH_MAX_SIZE`.
    public static func environmentVariable(for key: String) -> String {
        "TALLY_" + key.split(separator: ".").map { dashed(String($0)).replacingDashes(with: "_").uppercased() }
            .joined(separator: "_")
    }

    private static func dashed(_ component: String) -> String {
        var out = ""
        var previousWasLower = false
        for character in component {
            if character.isUppercase && previousWasLower { out.append("-") }
            out.append(contentsOf: character.lowercased())
            previousWasLower = character.isLowercase
        }
        return out
    }
}

extension String {
    fileprivate func replacingDashes(with separator: Character) -> String {
        String(map { $0 == "-" ? separator : $0 })
    }
}
