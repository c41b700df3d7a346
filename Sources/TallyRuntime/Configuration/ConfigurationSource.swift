import Configuration
import SystemPackage

/// How every tally process reads its configuration, in precedence order:
/// command-line flags (`--batch-max-size 50`, see ``ConfigurationArguments``),
/// then `TALLY_*` environment variables (key `redis.port` is
/// `TALLY_REDIS_PORT`; camelCase splits: `batch.maxSize` is
/// `TALLY_BATCH_MAX_SIZE`), then a JSON file under `Config/`, then the
/// built-in defaults; with the checks that name a bad key and its source.
public enum ConfigurationSource {
    /// - Parameters:
    ///   - file: a file named on the command line; it must exist.
    ///   - fileVariable: the environment variable that may name the file instead.
    ///   - defaultPath: used when neither names one; it may be missing.
    ///   - arguments: ``ConfigurationArguments/overrides``.
    public static func reader(
        file: String?, fileVariable: String, defaultPath: String, environment: [String: String], arguments: [String] = []
    ) async throws -> (ConfigReader, ConfigurationProvenance) {
        let path = file ?? environment[fileVariable] ?? defaultPath
        let provenance = ConfigurationProvenance(levels: [.commandLine, .environment, .file], filePath: path)
        let reader = ConfigReader(
            providers: [
                CommandLineArgumentsProvider(arguments: ["tally"] + arguments),
                EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "tally"),
                try await FileProvider<JSONSnapshot>(filePath: FilePath(path), allowMissing: file == nil),
            ],
            accessReporter: provenance)
        return (reader, provenance)
    }

    /// Runs a loader over `reader`, and turns what went wrong into one
    /// ``ConfigurationFailure`` naming the key and where its value came
    /// from. A value that did not convert comes first: a later check may
    /// only have failed because of the default that replaced it.
    public static func load<Settings>(
        _ reader: ConfigReader, _ provenance: ConfigurationProvenance,
        _ body: (ConfigReader, ConfigurationProvenance) throws -> Settings
    ) throws(ConfigurationFailure) -> Settings {
        let result: Result<Settings, any Error>
        do {
            result = .success(try body(reader, provenance))
        } catch {
            result = .failure(error)
        }
        if let problem = provenance.firstProblem { throw problem }
        switch result {
        case .success(let settings):
            return settings
        case .failure(let failure as ConfigurationFailure):
            var named = failure
            if named.origin == nil { named.origin = provenance.origin(of: failure.key) }
            throw named
        case .failure(let error):
            throw ConfigurationFailure(key: "(file)", problem: "\(error)")
        }
    }
}

/// A configuration value that cannot be used, named by its key and, when
/// known, by where it came from.
public struct ConfigurationFailure: Error, CustomStringConvertible {
    public let key: String
    public let problem: String
    public var origin: ValueOrigin?

    public init(key: String, problem: String, origin: ValueOrigin? = nil) {
        self.key = key
        self.problem = problem
        self.origin = origin
    }

    public var description: String {
        guard let origin else { return "configuration key \(key): \(problem)" }
        return "configuration key \(key) (from \(origin)): \(problem)"
    }
}

extension ConfigReader {
    public func positive(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard value > 0 else { throw ConfigurationFailure(key: key, problem: "must be positive, got \(value)") }
        return value
    }

    public func nonNegative(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard value >= 0 else { throw ConfigurationFailure(key: key, problem: "must not be negative, got \(value)") }
        return value
    }

    public func port(_ key: String, default fallback: Int) throws(ConfigurationFailure) -> Int {
        let value = int(forKey: ConfigKey(key), default: fallback)
        guard (1...65_535).contains(value) else { throw ConfigurationFailure(key: key, problem: "not a TCP port: \(value)") }
        return value
    }

    /// A string that means "not set" when empty (file paths, URLs).
    public func optionalString(_ key: String, isSecret: Bool = false) -> String? {
        guard let value = string(forKey: ConfigKey(key), isSecret: isSecret), !value.isEmpty else { return nil }
        return value
    }
}
