import Configuration
import Synchronization

/// Where one configuration value came from, in precedence order: a
/// command-line flag beats an environment variable, which beats the file,
/// which beats the built-in default.
public struct ValueOrigin: Sendable, Equatable, CustomStringConvertible {
    public enum Level: Int, Sendable, Comparable {
        case commandLine, environment, file, builtInDefault

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public let level: Level
    /// The flag, the variable or the file; empty for a default.
    public let name: String
    /// Set when the value was taken from a connection URL (`amqp.url`).
    public var viaKey: String?

    public init(level: Level, name: String, viaKey: String? = nil) {
        self.level = level
        self.name = name
        self.viaKey = viaKey
    }

    public static let builtInDefault = ValueOrigin(level: .builtInDefault, name: "")

    public var description: String {
        let origin: String
        switch level {
        case .commandLine: origin = "flag \(name)"
        case .environment: origin = "environment \(name)"
        case .file: origin = "file \(name)"
        case .builtInDefault: origin = "default"
        }
        return viaKey.map { "\($0), \(origin)" } ?? origin
    }
}

/// Records, for every key a loader reads, which source supplied it and
/// whether a source held a value that could not be read as the right type.
///
/// swift-configuration's non-throwing getters fall back to the default when
/// a value does not convert (`TALLY_BATCH_MAX_SIZE=abc`); this reporter
/// sees that through the access events, so the loader can refuse to start
/// instead, naming the key and where the bad value came from. The same
/// record gives `tally config print` the source of each value.
public final class ConfigurationProvenance: AccessReporter, Sendable {
    /// The providers, in the order ``ConfigurationSource`` lists them.
    private let origins: [ValueOrigin.Level]
    private let filePath: String
    private let state = Mutex<State>(State())

    private struct State {
        var origins: [String: ValueOrigin] = [:]
        var problems: [ConfigurationFailure] = []
    }

    init(levels: [ValueOrigin.Level], filePath: String) {
        self.origins = levels
        self.filePath = filePath
    }

    public func report(_ event: AccessEvent) {
        let key = event.metadata.key.components.joined(separator: ".")
        var found = ValueOrigin.builtInDefault
        var problem: ConfigurationFailure?
        for (index, provider) in event.providerResults.enumerated() where index < origins.count {
            let origin = self.origin(origins[index], key: key)
            switch provider.result {
            case .failure:
                problem = ConfigurationFailure(
                    key: key, problem: "not a valid \(Self.describe(event.metadata.valueType))", origin: origin)
            case .success(let lookup) where lookup.value != nil:
                found = origin
            case .success:
                continue
            }
            break
        }
        if problem == nil, event.conversionError != nil {
            problem = ConfigurationFailure(
                key: key, problem: "not a valid \(Self.describe(event.metadata.valueType))", origin: found)
        }
        state.withLock { state in
            state.origins[key] = found
            if let problem, !state.problems.contains(where: { $0.key == key }) { state.problems.append(problem) }
        }
    }

    /// Where the value of `key` came from (a default if it was never read).
    public func origin(of key: String) -> ValueOrigin {
        state.withLock { $0.origins[key] } ?? .builtInDefault
    }

    /// Says that `key` took its value from another key (a URL's part).
    public func derive(_ key: String, from other: String) {
        state.withLock { state in
            var origin = state.origins[other] ?? .builtInDefault
            origin.viaKey = other
            state.origins[key] = origin
        }
    }

    /// The first value that could not be read, if any.
    public var firstProblem: ConfigurationFailure? { state.withLock { $0.problems.first } }

    private func origin(_ level: ValueOrigin.Level, key: String) -> ValueOrigin {
        switch level {
        case .commandLine: ValueOrigin(level: level, name: ConfigurationArguments.flag(for: key))
        case .environment: ValueOrigin(level: level, name: ConfigurationArguments.environmentVariable(for: key))
        case .file: ValueOrigin(level: level, name: "\(filePath) (\(key))")
        case .builtInDefault: .builtInDefault
        }
    }

    private static func describe(_ type: ConfigType) -> String {
        switch type {
        case .int: "integer"
        case .bool: "boolean (true or false)"
        case .string: "string (a single value; commas split command-line values)"
        case .stringArray: "list of strings"
        default: "\(type)"
        }
    }
}
